//! An image's life on the write side: upload ticket (PENDING), confirmation (READY or FAILED),
//! deletion (DELETED, then gone), and the reaper that finishes what clients leave undone.
//! Callers have already asked `access` who the viewer is to the image; these functions keep the
//! store, the object, the signature cache and CloudFront's caches consistent.

use crate::access;
use crate::cloudfront::Epoch;
use crate::error::{Code, Error};
use crate::s3::{PresignedRequest, standard_base64};
use crate::state::AppState;
use crate::store::{
    Actor, Admission, AuditAction, Change, Image, ImageId, ImageStatus, ReapClaim, Revoke,
    UploadLimits, UserId, Visibility,
};
use crate::upload::CheckedUpload;

/// What a revocation made now must cover (see [`crate::revocation::policy`]).
pub fn revoke(state: &AppState) -> Revoke {
    crate::revocation::policy(&state.config)
}

/// Creates the PENDING image and the presigned PUT for it. `owner` is the signed-in viewer.
pub async fn create_upload(
    state: &AppState,
    actor: &Actor,
    owner: &UserId,
    upload: CheckedUpload,
    visibility: Visibility,
    now: Epoch,
) -> Result<(Image, PresignedRequest), Error> {
    let id = ImageId::parse(&uuid::Uuid::now_v7().simple().to_string())
        .ok_or_else(|| Error::internal(anyhow::anyhow!("generated image id is not an id")))?;
    let image = Image {
        key: access::object_key(owner, &id, &upload.filename),
        id,
        owner_id: owner.clone(),
        visibility,
        status: ImageStatus::Pending,
        content_type: upload.content_type.clone(),
        size: upload.size,
        sha256: Some(upload.sha256_hex()),
        created_at_ms: now.millis(),
        updated_at_ms: now.millis(),
        link_version: 0,
    };
    // Sign first: if S3 credentials are missing, no PENDING row is left behind.
    let put = state
        .objects
        .presign_put(
            &image.key,
            &image.content_type,
            image.size,
            &upload.sha256,
            now,
            state.config.uploads.url_ttl_secs,
        )
        .await?;
    let limits = UploadLimits {
        max_pending: state.config.uploads.max_pending_per_user,
        per_minute: state.config.uploads.per_minute,
    };
    match state
        .store
        .insert_pending_image(&image, limits, &Change::by(actor, now.millis()))
        .await?
    {
        Admission::Admitted => {}
        Admission::RateLimited { retry_after_secs } => {
            return Err(Error::new(
                Code::RateLimited,
                format!(
                    "too many uploads: at most {} a minute; try again in {retry_after_secs} s",
                    limits.per_minute
                ),
            ));
        }
        Admission::TooManyPending { pending } => {
            return Err(Error::new(
                Code::RateLimited,
                format!(
                    "you have {pending} unfinished uploads (the limit is {}); complete or delete them first",
                    limits.max_pending
                ),
            ));
        }
    }
    state.metrics.uploads_created.inc();
    Ok((image, put))
}

/// Why an uploaded object does not match its declaration, if it does not.
fn mismatch(image: &Image, head: &crate::s3::ObjectHead) -> Option<String> {
    if head.size != image.size {
        return Some(format!(
            "the object has {} bytes, {} were declared",
            head.size, image.size
        ));
    }
    let stored_type = head.content_type.as_deref().unwrap_or("");
    if !stored_type.eq_ignore_ascii_case(&image.content_type) {
        return Some(format!(
            "the object's type is {stored_type:?}, {:?} was declared",
            image.content_type
        ));
    }
    if let Some(declared) = &image.sha256 {
        let want = hex::decode(declared).map(|b| standard_base64(&b)).ok();
        if head.sha256_base64 != want {
            return Some("the object's SHA-256 differs from the declared one".into());
        }
    }
    None
}

/// Confirms an upload of `image` (owned by the viewer): READY when the object matches what was
/// declared; otherwise the object is deleted, the image marked FAILED, and the error says why.
/// An image already READY is returned as is.
pub async fn complete_upload(
    state: &AppState,
    actor: &Actor,
    image: Image,
    now: Epoch,
) -> Result<Image, Error> {
    match image.status {
        ImageStatus::Ready => return Ok(image),
        ImageStatus::Failed => {
            return Err(Error::bad_input(
                "this upload failed its checks and was removed; start a new upload",
            ));
        }
        ImageStatus::Deleted => {
            return Err(Error::image_not_found(image.id.as_str()));
        }
        ImageStatus::Pending => {}
    }
    let Some(head) = state.objects.head(&image.key).await? else {
        return Err(Error::bad_input(
            "nothing has been uploaded yet: PUT the bytes to the upload URL, then call completeUpload",
        ));
    };
    if let Some(why) = mismatch(&image, &head) {
        state.objects.delete(&image.key).await?;
        state
            .store
            .set_status(
                &image.id,
                ImageStatus::Pending,
                ImageStatus::Failed,
                AuditAction::UploadFailed,
                &Change::by(actor, now.millis()).before(ImageStatus::Pending.as_str()),
            )
            .await?;
        return Err(Error::bad_input(format!(
            "upload refused: {why}; the object was deleted, start a new upload"
        )));
    }
    let ready = state
        .store
        .set_status(
            &image.id,
            ImageStatus::Pending,
            ImageStatus::Ready,
            AuditAction::UploadCompleted,
            &Change::by(actor, now.millis()).before(ImageStatus::Pending.as_str()),
        )
        .await?;
    match ready {
        Some(image) => Ok(image),
        // Deleted (or completed) meanwhile: report what is there now.
        None => match state.store.image(&image.id).await? {
            Some(current) if current.status == ImageStatus::Ready => Ok(current),
            _ => Err(Error::image_not_found(image.id.as_str())),
        },
    }
}

/// Changes visibility; drops cached signatures at once and, when fewer people may now see it,
/// revokes the links handed out so far and queues a CloudFront invalidation of its path.
pub async fn set_visibility(
    state: &AppState,
    actor: &Actor,
    image: &Image,
    visibility: Visibility,
    now: Epoch,
) -> Result<Option<Image>, Error> {
    let narrowed = image.status == ImageStatus::Ready && narrower(visibility, image.visibility);
    let invalidate = narrowed
        .then(|| state.invalidations.path_of(&image.key))
        .flatten();
    // The change, its revocation, its invalidation and its audit event are one transaction: a
    // crash keeps all or none.
    let change = Change::by(actor, now.millis())
        .before(image.visibility.as_str())
        .invalidating(invalidate.as_deref())
        .revoking(narrowed.then(|| revoke(state)));
    let updated = state
        .store
        .set_visibility(&image.id, visibility, &change)
        .await?;
    state.links.forget(&image.key, image.link_version);
    if narrowed {
        state.revocations.wake();
    }
    Ok(updated)
}

/// Revokes every link to `image` (owned by the viewer) handed out so far: from now on the edge
/// refuses them, and new links carry the new version.
pub async fn revoke_links(
    state: &AppState,
    actor: &Actor,
    image: &Image,
    now: Epoch,
) -> Result<Image, Error> {
    let change = Change::by(actor, now.millis()).revoking(Some(revoke(state)));
    let revoked = state
        .store
        .revoke_image_links(&image.id, &change)
        .await?
        .ok_or_else(|| Error::image_not_found(image.id.as_str()))?;
    state.links.forget(&image.key, image.link_version);
    state.revocations.wake();
    Ok(revoked)
}

fn narrower(new: Visibility, old: Visibility) -> bool {
    let rank = |v| match v {
        Visibility::Private => 0,
        Visibility::Friends => 1,
        Visibility::Public => 2,
    };
    rank(new) < rank(old)
}

/// Hides the image from every query at once and returns a presigned DELETE for the client; the
/// reaper deletes the object server-side if the client never does.
pub async fn delete_image(
    state: &AppState,
    actor: &Actor,
    image: &Image,
    now: Epoch,
) -> Result<PresignedRequest, Error> {
    let request = state
        .objects
        .presign_delete(&image.key, now, state.config.uploads.url_ttl_secs)
        .await?;
    let served = image.status == ImageStatus::Ready;
    let invalidate = served
        .then(|| state.invalidations.path_of(&image.key))
        .flatten();
    let change = Change::by(actor, now.millis())
        .before(image.status.as_str())
        .invalidating(invalidate.as_deref())
        .revoking(served.then(|| revoke(state)));
    let hidden = state
        .store
        .set_status(
            &image.id,
            image.status,
            ImageStatus::Deleted,
            AuditAction::ImageDeleted,
            &change,
        )
        .await?;
    if hidden.is_none() {
        return Err(Error::image_not_found(image.id.as_str()));
    }
    state.links.forget(&image.key, image.link_version);
    if served {
        state.revocations.wake();
    }
    Ok(request)
}

/// What one reaper pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reaped {
    /// DELETED images whose objects and rows were removed.
    pub deleted: u32,
    /// PENDING uploads abandoned past `uploads.abandon_after_secs`, removed with their objects.
    pub abandoned: u32,
    /// FAILED uploads past that age, removed.
    pub failed: u32,
    /// Images left for the next pass because S3 or the store failed.
    pub errors: u32,
    /// Audit events past `audit.retention_days`, removed.
    pub audit_pruned: u64,
    /// Revocation floors whose every outlawed link has expired (and no edge store holds), removed.
    pub revocations_pruned: u64,
}

/// How long a pass holds the images it claimed. Longer than any pass takes (each S3 call is
/// bounded by the SDK's operation timeout); a pass that died is taken over after it, and an image
/// a pass failed on is retried then.
pub const REAP_CLAIM_SECS: u64 = 300;

/// One reaper pass at `now`: it claims its images first, so passes on other replicas (or a
/// second one here) never do the same image's work; everything it does to an image can be done
/// again after a crash (an S3 DELETE of a missing object succeeds, a missing row is no error).
pub async fn reap(state: &AppState, now: Epoch) -> Result<Reaped, Error> {
    let cutoff = now
        .seconds()
        .saturating_sub(state.config.uploads.abandon_after_secs);
    let claim = ReapClaim {
        pending_before_ms: Epoch(cutoff).millis(),
        now_ms: now.millis(),
        until_ms: Epoch(now.seconds().saturating_add(REAP_CLAIM_SECS)).millis(),
        limit: state.config.reaper.batch.max(1),
    };
    let mut done = Reaped::default();
    let system = Actor::system();
    let change = Change::by(&system, now.millis());
    for image in state.store.claim_reapable(claim).await? {
        // An abandoned upload is hidden first, so a completeUpload racing the reaper loses.
        if image.status == ImageStatus::Pending
            && state
                .store
                .set_status(
                    &image.id,
                    ImageStatus::Pending,
                    ImageStatus::Deleted,
                    AuditAction::UploadAbandoned,
                    &change.before(ImageStatus::Pending.as_str()),
                )
                .await?
                .is_none()
        {
            continue;
        }
        let removed = async {
            state.objects.delete(&image.key).await?;
            state.store.remove_image(&image.id, &change).await?;
            Ok::<_, Error>(())
        }
        .await;
        match (removed, image.status) {
            (Err(e), _) => {
                e.log();
                done.errors += 1;
            }
            (Ok(()), ImageStatus::Pending) => done.abandoned += 1,
            (Ok(()), ImageStatus::Failed) => done.failed += 1,
            (Ok(()), _) => done.deleted += 1,
        }
    }
    let retention_ms = state.config.audit.retention_days.saturating_mul(86_400_000);
    if retention_ms > 0 {
        let cutoff = now
            .millis()
            .saturating_sub(i64::try_from(retention_ms).unwrap_or(i64::MAX));
        done.audit_pruned = state.store.prune_audit(cutoff).await?;
    }
    done.revocations_pruned = state.store.prune_revocations(now.millis()).await?;
    for (kind, n) in [
        ("deleted", done.deleted),
        ("abandoned", done.abandoned),
        ("failed", done.failed),
    ] {
        state
            .metrics
            .reaped
            .with_label_values(&[kind])
            .inc_by(u64::from(n));
    }
    Ok(done)
}

/// Runs [`reap`] every `reaper.interval_secs` until the runtime stops; off when that is 0.
pub fn spawn_reaper(state: std::sync::Arc<AppState>) {
    let every = state.config.reaper.interval_secs;
    if every == 0 {
        return;
    }
    tokio::spawn(async move {
        let mut timer = tokio::time::interval(std::time::Duration::from_secs(every));
        loop {
            timer.tick().await;
            match reap(&state, state.clock.now()).await {
                Ok(r) if r != Reaped::default() => tracing::info!(
                    deleted = r.deleted,
                    abandoned = r.abandoned,
                    failed = r.failed,
                    errors = r.errors,
                    audit_pruned = r.audit_pruned,
                    revocations_pruned = r.revocations_pruned,
                    "reaper pass"
                ),
                Ok(_) => {}
                Err(e) => e.log(),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_narrowing_invalidates() {
        use Visibility::*;
        assert!(
            narrower(Private, Public) && narrower(Friends, Public) && narrower(Private, Friends)
        );
        assert!(
            !narrower(Public, Private) && !narrower(Public, Public) && !narrower(Friends, Private)
        );
    }
}
