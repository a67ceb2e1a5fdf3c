//! TLS for the pipelined PostgreSQL reads, as sqlx's own connections get it: native-tls
//! (OpenSSL) with the feature `openssl`, else rustls on ring. Either way `sslmode` means what
//! libpq means by it (see `reader::settings`): no check for `prefer`/`require`, the chain against
//! the system's roots plus `sslrootcert` for `verify-ca`, and the host name too for `verify-full`.

/// What `sslmode` and `sslrootcert` ask of the server's certificate.
#[derive(Debug, Clone)]
pub(super) struct Checks {
    /// Check the chain (`verify-ca`, `verify-full`).
    pub verify_ca: bool,
    /// Check the host name too (`verify-full`).
    pub verify_host: bool,
    /// `sslrootcert`: a PEM file of roots trusted beside the system's.
    pub root: Option<String>,
}

#[cfg(feature = "openssl")]
pub(super) type Tls = postgres_native_tls::MakeTlsConnector;

#[cfg(not(feature = "openssl"))]
pub(super) type Tls = tokio_postgres_rustls::MakeRustlsConnect;

/// The connector for `checks`; the error says what to fix in the URL or on disk.
#[cfg(feature = "openssl")]
pub(super) fn connector(checks: &Checks) -> Result<Tls, String> {
    let mut builder = native_tls::TlsConnector::builder();
    builder
        .danger_accept_invalid_certs(!checks.verify_ca)
        .danger_accept_invalid_hostnames(!checks.verify_host);
    if let Some(path) = &checks.root {
        let pem =
            std::fs::read(path).map_err(|e| format!("cannot read sslrootcert {path}: {e}"))?;
        let cert = native_tls::Certificate::from_pem(&pem)
            .map_err(|e| format!("sslrootcert {path} is not a PEM certificate: {e}"))?;
        builder.add_root_certificate(cert);
    }
    let connector = builder
        .build()
        .map_err(|e| format!("cannot set up TLS for PostgreSQL: {e}"))?;
    Ok(postgres_native_tls::MakeTlsConnector::new(connector))
}

/// The connector for `checks`; the error says what to fix in the URL or on disk.
#[cfg(not(feature = "openssl"))]
pub(super) fn connector(checks: &Checks) -> Result<Tls, String> {
    use std::sync::Arc;

    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    if let Some(path) = &checks.root {
        let pem =
            std::fs::read(path).map_err(|e| format!("cannot read sslrootcert {path}: {e}"))?;
        let certs: Vec<_> = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("sslrootcert {path} is not a PEM certificate: {e}"))?;
        if certs.is_empty() {
            return Err(format!(
                "sslrootcert {path} is not a PEM certificate: none in it"
            ));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| format!("sslrootcert {path} is not a usable root: {e}"))?;
        }
    }
    let webpki = if checks.verify_ca {
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .build()
        .map_err(|e| {
            format!(
                "cannot check PostgreSQL's certificate: {e} (no trusted roots: set sslrootcert)"
            )
        })?;
        Some(verifier)
    } else {
        None
    };
    let verifier = Arc::new(rustls_checks::Verifier {
        webpki,
        verify_host: checks.verify_host,
        provider: provider.clone(),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS for PostgreSQL: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

#[cfg(not(feature = "openssl"))]
mod rustls_checks {
    use std::sync::Arc;

    use rustls::client::WebPkiServerVerifier;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};

    /// libpq's checks on rustls: none (`webpki` None), the chain only, or chain and name. The
    /// handshake's own signatures are always checked, as native-tls checks them.
    #[derive(Debug)]
    pub(super) struct Verifier {
        pub webpki: Option<Arc<WebPkiServerVerifier>>,
        pub verify_host: bool,
        pub provider: Arc<CryptoProvider>,
    }

    impl ServerCertVerifier for Verifier {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            server_name: &ServerName<'_>,
            ocsp_response: &[u8],
            now: UnixTime,
        ) -> Result<ServerCertVerified, Error> {
            let Some(webpki) = &self.webpki else {
                return Ok(ServerCertVerified::assertion());
            };
            // webpki checks the chain first and the name last, so a name error means the chain
            // passed: `verify-ca` stops there.
            match webpki.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ) {
                Err(Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                )) if !self.verify_host => Ok(ServerCertVerified::assertion()),
                other => other,
            }
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            verify_tls12_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            verify_tls13_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.provider
                .signature_verification_algorithms
                .supported_schemes()
        }
    }
}
