-- A per-user credential version: it goes up whenever the password changes or the email is
-- proven for the first time. Each browser session (in its data) and each API sign-in records
-- the version it signed in under; one recorded under an older version is dead. This closes the
-- race where a sign-in that read the old password hash finishes after a reset has deleted
-- every session: its new session or token family is refused at first use.
alter table users add column credential_version bigint not null default 0;
alter table refresh_families add column credential_version bigint not null default 0;
