-- A firm is told about a grant once per kind and occasion (issue 11). Until now a notice was
-- unique on (grant, kind), so a grant whose payment bounced and went back to the firm
-- (`awaiting_account`) could not remind it again: the first reminder (the 公示 job's, or
-- the previous return's) held the slot. The occasion names what the notice is about
-- beyond its kind: '' for the first and usual one, the returned payment instruction's id
-- for the reminder after each return. A replay of the same occasion is still dropped.
ALTER TABLE notices ADD COLUMN occasion text NOT NULL DEFAULT '';

ALTER TABLE notices DROP CONSTRAINT notices_grant_kind_key;
-- Same name, so the writers' `ON CONFLICT ON CONSTRAINT notices_grant_kind_key` keep
-- meaning "already told".
ALTER TABLE notices ADD CONSTRAINT notices_grant_kind_key UNIQUE (grant_id, kind, occasion);
