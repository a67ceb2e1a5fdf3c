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
                now_ms: i64,
            ) -> Result<$crate::store::Befriend, $crate::store::StoreError> {
                self.sql
                    .request_friendship(from, to, max_outgoing, now_ms)
                    .await
            }

            async fn accept_friendship(
                &self,
                me: &$crate::store::UserId,
                from: &$crate::store::UserId,
                now_ms: i64,
            ) -> Result<bool, $crate::store::StoreError> {
                self.sql.accept_friendship(me, from, now_ms).await
            }

            async fn remove_friend_request(&self, a: &$crate::store::UserId, b: &$crate::store::UserId) -> Result<bool, $crate::store::StoreError> {
                self.sql.remove_friend_request(a, b).await
            }

            async fn remove_friendship(&self, a: &$crate::store::UserId, b: &$crate::store::UserId) -> Result<bool, $crate::store::StoreError> {
                self.sql.remove_friendship(a, b).await
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
                max_pending: u32,
            ) -> Result<bool, $crate::store::StoreError> {
                self.sql.insert_pending_image(image, max_pending).await
            }

            async fn set_visibility(
                &self,
                id: &$crate::store::ImageId,
                visibility: $crate::store::Visibility,
                now_ms: i64,
            ) -> Result<Option<$crate::store::Image>, $crate::store::StoreError> {
                self.sql.set_visibility(id, visibility, now_ms).await
            }

            async fn set_status(
                &self,
                id: &$crate::store::ImageId,
                from: $crate::store::ImageStatus,
                to: $crate::store::ImageStatus,
                now_ms: i64,
            ) -> Result<Option<$crate::store::Image>, $crate::store::StoreError> {
                self.sql.set_status(id, from, to, now_ms).await
            }

            async fn count_pending(&self, owner: &$crate::store::UserId) -> Result<u64, $crate::store::StoreError> {
                self.sql.count_pending(owner).await
            }

            async fn reapable(&self, pending_before_ms: i64, limit: u32) -> Result<Vec<$crate::store::Image>, $crate::store::StoreError> {
                self.sql.reapable(pending_before_ms, limit).await
            }

            async fn remove_image(&self, id: &$crate::store::ImageId) -> Result<bool, $crate::store::StoreError> {
                self.sql.remove_image(id).await
            }
        }
    };
}
pub(in crate::store) use impl_store;
