-- What a search finds a task by: its title and notes, lowercased by the application (Unicode
-- case rules, the same on SQLite and PostgreSQL: SQLite's own lower() knows only ASCII).
-- Written with every change of the title or notes; rows from before are filled in at start-up
-- (`db::todos::fill_search_text`) while this is null.
alter table todos add column search_text text;
