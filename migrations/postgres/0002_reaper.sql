-- The reaper's scan: DELETED and FAILED images, and PENDING ones older than a cutoff, oldest
-- first. Equality on status, then a range on created_at_ms.
CREATE INDEX images_by_status ON images (status, created_at_ms);
