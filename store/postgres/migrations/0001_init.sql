-- jifen's ledger on PostgreSQL: every table of the bbolt store, with the
-- constraints that make impossible states impossible to write.

-- meta: the time zone the aggregates were computed in, and marks of work.
CREATE TABLE meta (
	key   text PRIMARY KEY,
	value text NOT NULL
);

-- The keys that sign report links and console sessions. Never in a dump
-- meant to leave the company (pg_dump --exclude-table-data=secrets).
CREATE TABLE secrets (
	name text PRIMARY KEY CHECK (name IN ('link_key', 'session_key')),
	key  bytea NOT NULL CHECK (octet_length(key) = 32)
);

CREATE TABLE members (
	id             text PRIMARY KEY CHECK (id <> ''),
	name           text NOT NULL CHECK (name <> ''),
	email          text NOT NULL DEFAULT '',
	-- NULL when the member has none: a platform id belongs to one member.
	slack_id       text CHECK (slack_id <> ''),
	feishu_open_id text CHECK (feishu_open_id <> ''),
	department     text NOT NULL DEFAULT '',
	level          text NOT NULL DEFAULT '',
	role           text NOT NULL CHECK (role IN ('admin', 'manager', 'employee')),
	joined         timestamptz,
	left_at        timestamptz,
	birthday       text NOT NULL DEFAULT '',
	left_from      text NOT NULL DEFAULT '',
	bot            boolean NOT NULL DEFAULT false,
	-- Deferred: one transaction may move an id from one member to another.
	CONSTRAINT members_slack_id_key UNIQUE (slack_id) DEFERRABLE INITIALLY DEFERRED,
	CONSTRAINT members_feishu_open_id_key UNIQUE (feishu_open_id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX members_email ON members (lower(email)) WHERE email <> '';
CREATE INDEX members_name ON members (lower(name));

-- The ledger. Entries are never updated (but for a forgotten member's
-- reason) nor deleted.
CREATE TABLE entries (
	id           bigserial PRIMARY KEY,
	kind         text NOT NULL CHECK (kind IN ('award', 'deduct', 'thanks', 'revoke', 'adjust', 'import', 'redeem')),
	at           timestamptz NOT NULL,
	effective    timestamptz NOT NULL,
	giver        text NOT NULL DEFAULT '',
	receiver     text COLLATE "C" NOT NULL CHECK (receiver <> ''),
	points       bigint NOT NULL,
	category     text NOT NULL DEFAULT '',
	behavior     text NOT NULL DEFAULT '',
	reason       text NOT NULL DEFAULT '',
	rule_version integer NOT NULL DEFAULT 0,
	-- A revoke reverses one earlier entry, and an entry is reversed at most once.
	reverses     bigint UNIQUE REFERENCES entries (id),
	approval     bigint CHECK (approval > 0),
	source       text NOT NULL DEFAULT '',
	quantity     bigint NOT NULL DEFAULT 0 CHECK (quantity >= 0),
	CHECK (effective <= at),
	CHECK ((kind = 'revoke') = (reverses IS NOT NULL)),
	CHECK (reverses < id)
);
-- ScanEntries passes the entries by receiver in byte order (the bbolt
-- store's order), then id. The receiver's collation is "C", so the
-- receiver index holds that order, and it carries the columns the scan
-- passes: the reports' scan is an index-only scan that reads the index in
-- order, with no sort of the ledger and no visit of the table (but for
-- the pages the last vacuum has not marked all-visible, which vacuum is
-- asked to mark early).
CREATE INDEX entries_receiver ON entries (receiver, id)
	INCLUDE (kind, at, effective, giver, points, category, behavior, quantity, reverses);
ALTER TABLE entries SET (autovacuum_vacuum_insert_scale_factor = 0.01);
CREATE INDEX entries_giver ON entries (giver, id) WHERE giver <> '';
CREATE INDEX entries_effective ON entries (effective);

-- One row per member who has figures: the lock a write takes (FOR UPDATE,
-- through an upsert) before it reads or changes the member's figures, so
-- that two writes about one member run one after the other; and the
-- recording time of the member's last entry.
CREATE TABLE heads (
	member  text PRIMARY KEY CHECK (member <> ''),
	last_at timestamptz
) WITH (fillfactor = 70);

-- Aggregates, derived from the entries in the entry's transaction:
--   t  a member's earned points in a period (redemptions excluded)
--   c  the same by category (extra), not for weeks
--   g  what a giver gave from an allowance pool (extra: award, thanks)
--   s  what a member spent on rewards
-- period is a period key (2026-W47, 2026-11, 2026-Q4, 2026, all). A figure
-- that comes back to zero is deleted, as in the bbolt store.
CREATE TABLE aggregates (
	period text NOT NULL,
	kind   text NOT NULL CHECK (kind IN ('t', 'c', 'g', 's')),
	member text NOT NULL,
	extra  text NOT NULL DEFAULT '',
	net    bigint NOT NULL,
	plus   bigint NOT NULL,
	minus  bigint NOT NULL CHECK (minus >= 0),
	count  bigint NOT NULL CHECK (count >= 0),
	PRIMARY KEY (period, kind, member, extra),
	CHECK (net = plus - minus),
	CHECK ((kind IN ('c', 'g')) = (extra <> ''))
) WITH (fillfactor = 70); -- room for HOT updates: an award rewrites its rows in place

-- Per-behavior use of a member in a period: entries (redemptions count their
-- units) and their absolute points, net of revokes; what per-behavior limits
-- read.
CREATE TABLE behavior_use (
	period   text NOT NULL,
	member   text NOT NULL,
	behavior text NOT NULL CHECK (behavior <> ''),
	times    bigint NOT NULL CHECK (times >= 0),
	points   bigint NOT NULL CHECK (points >= 0),
	PRIMARY KEY (period, member, behavior)
) WITH (fillfactor = 70);

-- Awards above the approval threshold. A pending one reserves its points
-- against the caps; approvals_open is the set the limits read.
CREATE TABLE approvals (
	id           bigserial PRIMARY KEY,
	created_at   timestamptz NOT NULL,
	giver        text NOT NULL,
	receivers    text[] NOT NULL CHECK (cardinality(receivers) > 0),
	points       bigint NOT NULL,
	category     text NOT NULL DEFAULT '',
	behavior     text NOT NULL DEFAULT '',
	reason       text NOT NULL DEFAULT '',
	rule_version integer NOT NULL DEFAULT 0,
	source       text NOT NULL DEFAULT '',
	status       text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
	decided_by   text NOT NULL DEFAULT '',
	decided_at   timestamptz,
	note         text NOT NULL DEFAULT '',
	entries      bigint[] NOT NULL DEFAULT '{}',
	CHECK ((status = 'pending') = (decided_at IS NULL)),
	CHECK (status = 'approved' OR cardinality(entries) = 0)
);
CREATE INDEX approvals_open ON approvals (id) WHERE status = 'pending';

CREATE TABLE redemptions (
	id           bigserial PRIMARY KEY,
	created_at   timestamptz NOT NULL,
	member       text NOT NULL,
	item         text NOT NULL CHECK (item <> ''),
	quantity     bigint NOT NULL CHECK (quantity >= 0),
	points       bigint NOT NULL CHECK (points >= 0),
	entry        bigint NOT NULL UNIQUE REFERENCES entries (id),
	status       text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'fulfilled', 'cancelled')),
	decided_by   text NOT NULL DEFAULT '',
	decided_at   timestamptz,
	note         text NOT NULL DEFAULT '',
	fulfilled_by text NOT NULL DEFAULT '',
	fulfilled_at timestamptz,
	cancelled_by text NOT NULL DEFAULT '',
	cancelled_at timestamptz,
	-- The revoke of a rejection or cancellation, and only then.
	refund       bigint UNIQUE REFERENCES entries (id),
	CHECK ((status IN ('rejected', 'cancelled')) = (refund IS NOT NULL))
);
CREATE INDEX redemptions_member ON redemptions (member, id);
CREATE INDEX redemptions_open ON redemptions (id) WHERE status IN ('pending', 'approved');

-- Units of an item redeemed, net of refunds, kept with the redeem entries;
-- lim, when set, is the item's stock: the database refuses to hand out more.
CREATE TABLE stock (
	item text PRIMARY KEY CHECK (item <> ''),
	used bigint NOT NULL DEFAULT 0 CHECK (used >= 0),
	lim  bigint CHECK (lim >= 0),
	CHECK (lim IS NULL OR used <= lim)
);

-- Idempotency keys: written with the change they name, kept until expires.
CREATE TABLE idempotency (
	key      text PRIMARY KEY CHECK (key <> ''),
	at       timestamptz NOT NULL,
	expires  timestamptz NOT NULL,
	result   bytea NOT NULL DEFAULT '',
	CHECK (expires > at)
);
CREATE INDEX idempotency_expires ON idempotency (expires);

-- Rule catalog versions, numbered from 1.
CREATE TABLE catalogs (
	version     integer PRIMARY KEY CHECK (version > 0),
	fingerprint text NOT NULL UNIQUE,
	since       timestamptz NOT NULL,
	catalog     json NOT NULL
);

-- Imported by HR.
CREATE TABLE ratings (
	period text NOT NULL,
	member text NOT NULL,
	grade  text NOT NULL DEFAULT '',
	score  double precision NOT NULL,
	PRIMARY KEY (period, member)
);
CREATE TABLE kpis (
	period     text NOT NULL,
	name       text NOT NULL,
	department text NOT NULL DEFAULT '',
	value      double precision NOT NULL,
	PRIMARY KEY (period, name, department)
);

-- Scheduled jobs: the fire time of each job's last claimed run, and when
-- the scheduler first saw it.
CREATE TABLE runs (
	name       text PRIMARY KEY,
	last_fire  timestamptz,
	first_seen timestamptz
);

CREATE TABLE feedback (
	id     bigserial PRIMARY KEY,
	member text NOT NULL,
	author text NOT NULL,
	text   text NOT NULL,
	at     timestamptz NOT NULL
);
CREATE INDEX feedback_member ON feedback (member, at);

-- Survey rounds; an open anonymous round's answers are keyed by a random
-- respondent key, and answered lists who answered it while it is open.
CREATE TABLE survey_rounds (
	survey text NOT NULL,
	n      integer NOT NULL CHECK (n > 0),
	anonymous boolean NOT NULL,
	closed timestamptz,
	round  json NOT NULL,
	PRIMARY KEY (survey, n)
);
CREATE TABLE survey_answers (
	survey     text NOT NULL,
	n          integer NOT NULL,
	respondent text NOT NULL CHECK (respondent <> ''),
	answer     json NOT NULL,
	PRIMARY KEY (survey, n, respondent),
	FOREIGN KEY (survey, n) REFERENCES survey_rounds (survey, n)
);
CREATE TABLE survey_answered (
	survey text NOT NULL,
	n      integer NOT NULL,
	member text NOT NULL,
	PRIMARY KEY (survey, n, member),
	FOREIGN KEY (survey, n) REFERENCES survey_rounds (survey, n)
);

-- Messages still to send. Senders on every replica claim due messages
-- (FOR UPDATE SKIP LOCKED, then a lease in claimed_until), so each goes out
-- through one of them; a message is claimed only when no earlier message
-- to the same receiver (or lane) waits, so their order holds across
-- replicas. Bodies are json, kept byte for byte.
CREATE TABLE outbox (
	id            bigserial PRIMARY KEY,
	platform      text NOT NULL CHECK (platform <> ''),
	key           text NOT NULL CHECK (key <> ''),
	lane          text NOT NULL DEFAULT '',
	member        text NOT NULL DEFAULT '',
	address       json,
	-- receiver is Outgoing.Receiver(): the lane, "member:" and the member,
	-- or the address.
	receiver      text NOT NULL CHECK (receiver <> ''),
	body          json NOT NULL,
	queued        timestamptz NOT NULL,
	attempts      integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	not_before    timestamptz,
	claimed_until timestamptz,
	CHECK (member <> '' OR address IS NOT NULL)
);
CREATE INDEX outbox_platform ON outbox (platform, id);
CREATE INDEX outbox_receiver ON outbox (platform, receiver, id);

-- The console's audit trail: appended, never changed.
CREATE TABLE audit (
	id      bigserial PRIMARY KEY,
	at      timestamptz NOT NULL,
	actor   text NOT NULL DEFAULT '',
	action  text NOT NULL CHECK (action <> ''),
	object  text NOT NULL DEFAULT '',
	outcome text NOT NULL CHECK (outcome IN ('ok', 'refused')),
	via     text NOT NULL DEFAULT ''
);
CREATE INDEX audit_actor ON audit (actor, id);

-- Surveys: anonymity. An open anonymous round's answer is filed under
-- HMAC(answer key, round, member), a key kept outside the database: the
-- row under it is the only record that a member answered, so no list of
-- who answered is kept (its row would share the answer's xmin). Closing
-- the round files the answers again under random keys and rewrites the
-- table (store/postgres/survey.go, docs/survey-anonymity.md).
DROP TABLE survey_answered;
-- No planner statistics of the respondents: a histogram of them, kept
-- after the close, would list (with the key) who answered.
ALTER TABLE survey_answers ALTER COLUMN respondent SET STATISTICS 0;
-- The outbox's shared pace. Every replica's senders reserve each send's
-- slot in the row of their platform (receiver ''), so together they keep
-- the platform's rate, and a 429 moves the slot for all of them; a
-- receiver's row holds when the next message to it may be claimed.
CREATE TABLE outbox_pace (
	platform text NOT NULL CHECK (platform <> ''),
	receiver text NOT NULL,
	next_at  timestamptz NOT NULL,
	PRIMARY KEY (platform, receiver)
);
-- A claim's plan depends on the outbox's statistics, and the outbox
-- changes wholesale (a job queues thousands, the senders drain them):
-- have it analyzed after a few hundred changes, not a tenth of the table.
ALTER TABLE outbox SET (autovacuum_analyze_threshold = 500, autovacuum_analyze_scale_factor = 0.02);
-- Write throughput and leaderboards.
-- board_changes moves after every commit that changed the entries, the
-- aggregates or the members: a replica keeps a leaderboard until it moves.
-- member_changes moves too when the members changed.
CREATE SEQUENCE board_changes;
CREATE SEQUENCE member_changes;
