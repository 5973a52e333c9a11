-- A task's notes: optional text under its title, up to 2,000 characters, line breaks kept
-- (`domain::TodoNotes`). Null when there are none.
alter table todos add column description text;
