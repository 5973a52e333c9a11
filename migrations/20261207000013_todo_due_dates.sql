-- A task's due date: a day, no time (`YYYY-MM-DD`, whose text order is date order), or null.
alter table todos add column due_on text;
