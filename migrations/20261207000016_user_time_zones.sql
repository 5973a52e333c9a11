-- The time zone a person chose on `/account` (an IANA name, `Europe/Paris`), by which the task
-- page names due dates ("Today", "Overdue"); none: the browser's (its `tz` cookie), or UTC.
alter table users add column time_zone text;
