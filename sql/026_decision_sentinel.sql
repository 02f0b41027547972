-- The AI Sentinel's review of a STRONG verdict that was not vetoed: CONFIRM / CAUTION / WARN (NULL: none, or it failed)
-- and the review itself (reason, model, time, error), on the decision row it reviews.

ALTER TABLE decisions
  ADD COLUMN sentinel_note VARCHAR(8) NULL,
  ADD COLUMN sentinel JSON NULL;
