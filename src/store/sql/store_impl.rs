//! The `Store` methods both backends run through [`Sql`](super::Sql) alike, written once.

/// `impl Store for $store`: the given read methods, and every other method through the store's
/// `sql` field ([`Sql`](super::Sql)). The reads are each backend's own (SQLite reads on the
/// caller's thread); everything else is the same statement on both.
macro_rules! impl_store {
    ($store:ty, { $($reads:tt)* }) => {
        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            $($reads)*

            async fn ping(&self) -> Result<(), $crate::store::StoreError> {
                self.sql.ping().await
            }

            async fn upsert_user(
                &self,
                subject: &str,
                id: &$crate::store::UserId,
                username: &str,
                now_ms: i64,
            ) -> Result<$crate::store::User, $crate::store::StoreError> {
                self.sql.upsert_user(subject, id, username, now_ms).await
            }

            async fn request_friendship(
                &self,
                from: &$crate::store::UserId,
                to: &$crate::store::UserId,
                max_outgoing: u32,
                change: &$crate::store::Change<'_>,
            ) -> Result<$crate::store::Befriend, $crate::store::StoreError> {
                self.sql
                    .request_friendship(from, to, max_outgoing, change)
                    .await
            }

            async fn accept_friendship(
                &self,
                me: &$crate::store::UserId,
                from: &$crate::store::UserId,
                change: &$crate::store::Change<'_>,
            ) -> Result<bool, $crate::store::StoreError> {
                self.sql.accept_friendship(me, from, change).await
            }

            async fn remove_friend_request(&self, a: &$crate::store::UserId, b: &$crate::store::UserId, change: &$crate::store::Change<'_>) -> Result<bool, $crate::store::StoreError> {
                self.sql.remove_friend_request(a, b, change).await
            }

            async fn remove_friendship(&self, a: &$crate::store::UserId, b: &$crate::store::UserId, change: &$crate::store::Change<'_>) -> Result<bool, $crate::store::StoreError> {
                self.sql.remove_friendship(a, b, change).await
            }

            async fn friend_requests(
                &self,
                user: &$crate::store::UserId,
                limit: u32,
            ) -> Result<Vec<$crate::store::FriendRequest>, $crate::store::StoreError> {
                self.sql.friend_requests(user, limit).await
            }

            async fn insert_image(&self, image: &$crate::store::Image) -> Result<(), $crate::store::StoreError> {
                self.sql.insert_image(image).await
            }

            async fn insert_pending_image(
                &self,
                image: &$crate::store::Image,
                limits: $crate::store::UploadLimits,
                change: &$crate::store::Change<'_>,
            ) -> Result<$crate::store::Admission, $crate::store::StoreError> {
                self.sql.insert_pending_image(image, limits, change).await
            }

            async fn set_visibility(
                &self,
                id: &$crate::store::ImageId,
                visibility: $crate::store::Visibility,
                change: &$crate::store::Change<'_>,
            ) -> Result<Option<$crate::store::Image>, $crate::store::StoreError> {
                self.sql.set_visibility(id, visibility, change).await
            }

            async fn set_status(
                &self,
                id: &$crate::store::ImageId,
                from: $crate::store::ImageStatus,
                to: $crate::store::ImageStatus,
                action: $crate::store::AuditAction,
                change: &$crate::store::Change<'_>,
            ) -> Result<Option<$crate::store::Image>, $crate::store::StoreError> {
                self.sql.set_status(id, from, to, action, change).await
            }

            async fn count_pending(&self, owner: &$crate::store::UserId) -> Result<u64, $crate::store::StoreError> {
                self.sql.count_pending(owner).await
            }

            async fn claim_reapable(&self, claim: $crate::store::ReapClaim) -> Result<Vec<$crate::store::Image>, $crate::store::StoreError> {
                self.sql.claim_reapable(claim).await
            }

            async fn remove_image(&self, id: &$crate::store::ImageId, change: &$crate::store::Change<'_>) -> Result<bool, $crate::store::StoreError> {
                self.sql.remove_image(id, change).await
            }

            async fn revoke_image_links(&self, id: &$crate::store::ImageId, change: &$crate::store::Change<'_>) -> Result<Option<$crate::store::Image>, $crate::store::StoreError> {
                self.sql.revoke_image_links(id, change).await
            }

            async fn revoke_account_links(&self, owner: &$crate::store::UserId, change: &$crate::store::Change<'_>) -> Result<Option<i64>, $crate::store::StoreError> {
                self.sql.revoke_account_links(owner, change).await
            }

            async fn revocation_floors(&self, owner: &$crate::store::UserId, image: &$crate::store::ImageId) -> Result<Vec<$crate::store::RevocationEntry>, $crate::store::StoreError> {
                self.sql.revocation_floors(owner, image).await
            }

            async fn claim_edge_due(&self, now_ms: i64, until_ms: i64, limit: u32) -> Result<Vec<$crate::store::EdgeDue>, $crate::store::StoreError> {
                self.sql.claim_edge_due(now_ms, until_ms, limit).await
            }

            async fn edge_synced(&self, prefix: &str, floor: i64) -> Result<(), $crate::store::StoreError> {
                self.sql.edge_synced(prefix, floor).await
            }

            async fn edge_removed(&self, prefix: &str, now_ms: i64) -> Result<(), $crate::store::StoreError> {
                self.sql.edge_removed(prefix, now_ms).await
            }

            async fn prune_revocations(&self, now_ms: i64) -> Result<u64, $crate::store::StoreError> {
                self.sql.prune_revocations(now_ms).await
            }

            async fn audit_events(&self, query: &$crate::store::AuditQuery) -> Result<Vec<$crate::store::AuditEvent>, $crate::store::StoreError> {
                self.sql.audit_events(query).await
            }

            async fn prune_audit(&self, before_ms: i64) -> Result<u64, $crate::store::StoreError> {
                self.sql.prune_audit(before_ms).await
            }

            async fn queue_invalidation(&self, path: &str, now_ms: i64) -> Result<(), $crate::store::StoreError> {
                self.sql.queue_invalidation(path, now_ms).await
            }

            async fn claim_invalidations(
                &self,
                claim: $crate::store::BatchClaim<'_>,
            ) -> Result<Vec<String>, $crate::store::StoreError> {
                self.sql.claim_invalidations(claim).await
            }

            async fn invalidation_sent(&self, reference: &str, cloudfront_id: &str) -> Result<(), $crate::store::StoreError> {
                self.sql.invalidation_sent(reference, cloudfront_id).await
            }

            async fn invalidation_failed(&self, reference: &str, now_ms: i64, backoff_ms: i64) -> Result<(), $crate::store::StoreError> {
                self.sql.invalidation_failed(reference, now_ms, backoff_ms).await
            }

            async fn invalidations_in_progress(&self, limit: u32) -> Result<Vec<$crate::store::BatchInProgress>, $crate::store::StoreError> {
                self.sql.invalidations_in_progress(limit).await
            }

            async fn invalidation_completed(&self, reference: &str) -> Result<(), $crate::store::StoreError> {
                self.sql.invalidation_completed(reference).await
            }

            async fn outbox_backlog(&self) -> Result<$crate::store::OutboxBacklog, $crate::store::StoreError> {
                self.sql.outbox_backlog().await
            }
        }
    };
}
pub(in crate::store) use impl_store;
