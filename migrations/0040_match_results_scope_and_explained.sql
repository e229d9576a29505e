-- A firm outside a policy's scope (a failed `scope(…)` condition of its rule: registered in another
-- city, not in business, …) is not addressed by the policy at all: it never gets a near-miss notice,
-- and counts report it apart from the firms in scope. Results stored before scopes existed are in
-- scope (the constant default adds the column without rewriting the table).
ALTER TABLE match_results ADD COLUMN in_scope boolean NOT NULL DEFAULT true;

-- Store what is read: full reasons and items only for outcomes that notices, pages and staff read
-- (eligible, an error, a near miss); the others keep the decision, its policy version and its
-- profile snapshot, with empty reasons, and are explained by replay on demand (exact by
-- construction: the same version over the same snapshot on the same date).
ALTER TABLE match_results ADD COLUMN explained boolean NOT NULL DEFAULT true;
