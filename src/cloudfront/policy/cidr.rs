//! The IPv4 range a custom policy may restrict a link to.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use super::PolicyError;

/// An IPv4 network in CIDR notation; a bare address means `/32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    network: Ipv4Addr,
    prefix: u8,
}

impl Cidr {
    /// Parses a CIDR, refusing host bits set past the prefix.
    pub fn parse(s: &str) -> Result<Cidr, PolicyError> {
        let cidr = Self::parse_lenient(s)?;
        if cidr.network != cidr.masked() {
            return Err(PolicyError::CidrHostBits {
                given: s.to_owned(),
                prefix: cidr.prefix,
                suggested: Cidr {
                    network: cidr.masked(),
                    prefix: cidr.prefix,
                },
            });
        }
        Ok(cidr)
    }

    /// Parses a CIDR as found in someone else's policy: host bits are masked off, as a router would.
    pub fn parse_lenient(s: &str) -> Result<Cidr, PolicyError> {
        let bad = |why| PolicyError::BadCidr(s.to_owned(), why);
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => {
                if prefix.is_empty()
                    || prefix.len() > 2
                    || !prefix.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(bad("the prefix length must be a number from 0 to 32"));
                }
                let prefix: u8 = prefix.parse().map_err(|_| bad("bad prefix length"))?;
                if prefix > 32 {
                    return Err(bad("the prefix length must be a number from 0 to 32"));
                }
                (addr, prefix)
            }
            None => (s, 32),
        };
        if addr.contains(':') {
            return Err(bad("CloudFront policies take IPv4 ranges only"));
        }
        let network =
            Ipv4Addr::from_str(addr).map_err(|_| bad("not a dotted-quad IPv4 address"))?;
        Ok(Cidr { network, prefix })
    }

    fn mask(self) -> u32 {
        if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.prefix))
        }
    }

    fn masked(self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network) & self.mask())
    }

    /// Whether `ip` lies in this network.
    pub fn contains(self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & self.mask() == u32::from(self.network) & self.mask()
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_parsing() {
        assert_eq!(
            Cidr::parse("192.0.2.7").unwrap().to_string(),
            "192.0.2.7/32"
        );
        assert_eq!(Cidr::parse("10.0.0.0/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(Cidr::parse("0.0.0.0/0").unwrap().to_string(), "0.0.0.0/0");
        for bad in [
            "",
            "10.0.0.0/",
            "10.0.0.0/33",
            "10.0.0/8",
            "256.1.1.1",
            "::1",
            "2001:db8::/32",
            "10.0.0.0/+8",
            "10.0.0.0/08x",
            "a.b.c.d",
            "1.2.3.4 ",
        ] {
            assert!(
                matches!(Cidr::parse(bad), Err(PolicyError::BadCidr(..))),
                "{bad} accepted"
            );
        }
        let err = Cidr::parse("192.0.2.7/24").unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"192.0.2.7/24\" has host bits set past the /24; did you mean 192.0.2.0/24?"
        );
        assert_eq!(
            Cidr::parse_lenient("192.0.2.7/24").unwrap().to_string(),
            "192.0.2.7/24"
        );
    }

    #[test]
    fn cidr_membership() {
        let net = Cidr::parse("192.0.2.0/24").unwrap();
        assert!(net.contains("192.0.2.255".parse().unwrap()));
        assert!(!net.contains("192.0.3.0".parse().unwrap()));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        let host = Cidr::parse("192.0.2.7").unwrap();
        assert!(host.contains("192.0.2.7".parse().unwrap()));
        assert!(!host.contains("192.0.2.8".parse().unwrap()));
    }
}
