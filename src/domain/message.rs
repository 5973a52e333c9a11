//! Every message an error can show a person, as a closed set with a stable key each.
//!
//! Errors travel as JSON (`{"error": "validation", "key": "email_invalid", "message": …}`),
//! and one of the ways they travel is the URL: after a form post without JavaScript, Leptos
//! sends the browser back with the error in `?__err=`, and the page shows it. Anyone can write
//! such a URL, so the text is never taken from the wire: only the key is read, and the text is
//! ours. An unknown key shows a generic message of the same kind.

use std::fmt;

use super::{
    NAME_MAX_CHARS, NOTES_MAX_CHARS, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, SEARCH_MAX_CHARS,
    TITLE_MAX_CHARS, TODO_PAGE_MAX,
};

macro_rules! messages {
    ($( $(#[$doc:meta])* $variant:ident = $key:literal => ($($text:tt)+), )+) => {
        /// A message for a person (see the module documentation).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Message {
            $( $(#[$doc])* $variant, )+
        }

        impl Message {
            /// Every message, for tests and for reading keys back.
            pub const ALL: &'static [Message] = &[$(Message::$variant,)+];

            /// The stable name of the message on the wire.
            pub fn key(self) -> &'static str {
                match self {
                    $(Message::$variant => $key,)+
                }
            }
        }

        impl fmt::Display for Message {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $(Message::$variant => write!(f, $($text)+),)+
                }
            }
        }
    };
}

messages! {
    EmailEmpty = "email_empty" => ("Enter your email address."),
    EmailInvalid = "email_invalid" => ("Enter a valid email address, like name@example.com."),
    EmailTooLong = "email_too_long" => ("That email address is too long."),
    NameEmpty = "name_empty" => ("Enter your name."),
    NameTooLong = "name_too_long" => ("Keep your name under {} characters.", NAME_MAX_CHARS + 1),
    NameControl = "name_control" => ("Your name cannot contain control characters."),
    TitleEmpty = "title_empty" => ("Give the task a title."),
    TitleTooLong = "title_too_long" => ("Keep the title under {} characters.", TITLE_MAX_CHARS + 1),
    TitleControl = "title_control" => ("The title cannot contain line breaks or control characters."),
    DueInvalid = "due_invalid" => ("Enter the due date as a date, like 2026-12-31."),
    TaskChanged = "task_changed" => ("This task was changed somewhere else after you opened it, so your edit was not saved. Cancel to see the change, or save again to replace it with yours."),
    SelectNone = "select_none" => ("Select at least one task first."),
    SelectTooMany = "select_too_many" => ("Select at most {} tasks at once.", TODO_PAGE_MAX),
    TimeZoneUnknown = "time_zone_unknown" => ("Choose a time zone from the list."),
    UndoGone = "undo_gone" => ("This can no longer be undone: deleted tasks are kept for 15 minutes."),
    TooManyTasks = "too_many_tasks" => ("You have as many tasks as one person may keep. Delete some to add more."),
    NotesTooLong = "notes_too_long" => ("Keep the notes under {} characters.", NOTES_MAX_CHARS + 1),
    FilterUnknown = "filter_unknown" => ("Show all, active or completed tasks."),
    SearchTooLong = "search_too_long" => ("Search for at most {} characters.", SEARCH_MAX_CHARS),
    SortUnknown = "sort_unknown" => ("Sort by your order, the due date or the newest first."),
    RankInvalid = "rank_invalid" => ("A position is 1 to 64 digits and lowercase letters."),
    SearchControl = "search_control" => ("A search cannot contain control characters."),
    NotesControl = "notes_control" => ("The notes cannot contain control characters other than line breaks and tabs."),
    /// A task update that changes nothing (JSON API).
    /// A bulk request without tasks, or with too many (JSON API).
    BulkIdsInvalid = "bulk_ids_invalid" => ("Send 1 to {} task ids.", TODO_PAGE_MAX),
    TodoPatchEmpty = "todo_patch_empty" => ("Send at least one of `title`, `description`, `due_on`, `position` and `completed`."),
    /// A list page size that is not a whole number in range (JSON API).
    PageLimitInvalid = "page_limit_invalid" => ("`limit` must be a whole number from 1 to {}.", super::TODO_PAGE_MAX),
    /// A list cursor that is not a task id (JSON API and `?after=`).
    PageCursorInvalid = "page_cursor_invalid" => ("`after` must be the id of a task, as in the `Link` header of the page before."),
    PasswordTooShort = "password_too_short" => ("Use at least {PASSWORD_MIN_CHARS} characters for your password."),
    PasswordTooLong = "password_too_long" => ("Use at most {PASSWORD_MAX_CHARS} characters for your password."),
    PasswordCommon = "password_common" => ("This password is too common and easy to guess. Choose another one, such as a few unrelated words."),
    PasswordContext = "password_context" => ("Choose a password that does not contain your name, your email address or the name of this site."),
    CurrentPasswordWrong = "current_password_wrong" => ("Your current password is not correct."),
    /// An account without a password whose sign-in is too old (`AUTH_RECENT_SIGN_IN`) to set one.
    SignInAgainToSetPassword = "sign_in_again" => ("For your security, sign out and sign in again, then set your password right away."),
    /// Linking a provider to an existing account: the password of that account was wrong.
    LinkPasswordWrong = "link_password_wrong" => ("That is not the password of this account. Try again, or reset the password with the link below."),
    /// Linking a provider to an existing account: the sign-in with the provider is no longer pending.
    LinkExpired = "link_expired" => ("This sign-in has expired. Please start again with the provider."),
    VerificationLinkInvalid = "verification_link_invalid" => ("This verification link is invalid, used or expired. Ask for a new one from your account page."),
    ResetLinkInvalid = "reset_link_invalid" => ("This reset link is invalid, used or expired. Ask for a new one."),
    AlreadyVerified = "already_verified" => ("Your email address is already verified."),
    EmailTaken = "email_taken" => ("An account with this email already exists. Sign in instead, or use another email."),
    OnlySignInMethod = "only_sign_in_method" => ("This is your only way to sign in. Set a password or link another provider first."),
    ProviderAlreadyLinked = "provider_already_linked" => ("This account at the provider is already linked to another Seamless account."),
    /// Linking a provider before the account's own email is proven (it could be someone else's).
    VerifyEmailToLink = "verify_email_to_link" => ("Verify your email address before you link another way to sign in: we can send you the link again."),
    TwoFactorAlreadyOn = "two_factor_already_on" => ("Two-factor authentication is already on."),
    TwoFactorSetupMissing = "two_factor_setup_missing" => ("Start again with \"Set up authenticator app\"."),
    TwoFactorCodeWrong = "two_factor_code_wrong" => ("That code is not right, or it was used already. Enter the code your app shows now."),
    /// A password reset of an account with two-factor authentication on, without the code.
    TwoFactorCodeNeeded = "two_factor_code_needed" => ("Two-factor authentication is on: enter the code from your authenticator app, or a recovery code."),
    RecoveryCodeWrong = "recovery_code_wrong" => ("That recovery code is not right, or it was used already."),
    /// The sign-in waiting for its second factor is gone (expired, or ended elsewhere).
    TwoFactorExpired = "two_factor_expired" => ("This sign-in has expired. Please sign in again."),
    TwoFactorAttemptsUsed = "two_factor_attempts_used" => ("Too many wrong codes. Please sign in again."),
    /// A sensitive action on an old session: the password or a code first.
    FreshProofNeeded = "fresh_proof_needed" => ("For your security, confirm it is you: enter your password or a code from your authenticator app."),
    FreshProofWrong = "fresh_proof_wrong" => ("That is not your password or a current code from your app."),
    PasskeysUnavailable = "passkeys_unavailable" => ("Passkeys work when this site is opened by its name, not by an IP address."),
    PasskeysNeedJavaScript = "passkeys_need_javascript" => ("Passkeys need JavaScript, which is off in this browser."),
    PasskeyFailed = "passkey_failed" => ("That passkey could not be checked. Try again, or sign in another way."),
    PasskeyExpired = "passkey_expired" => ("That took too long. Please try again."),
    PasskeyNameInvalid = "passkey_name_invalid" => ("Name the passkey in at most 60 characters, on one line."),
    PasskeyAlreadyAdded = "passkey_already_added" => ("This passkey is already added."),
    DeleteConfirmMismatch = "delete_confirm_mismatch" => ("Type your email address exactly to confirm that you want to delete your account."),
    /// Fallback for a validation error whose key this version does not know.
    InvalidInput = "invalid_input" => ("Some of what you entered cannot be used. Check the form and try again."),
    /// Fallback for a conflict whose key this version does not know.
    NotPossibleNow = "not_possible_now" => ("That cannot be done right now. Reload the page and try again."),
    Offline = "offline" => ("Could not reach the server. Check your connection and try again."),
    FormIncomplete = "form_incomplete" => ("Some fields of the form are missing or invalid."),
    Unreadable = "unreadable" => ("The server's answer could not be understood. Please reload the page."),
}

impl Message {
    /// The message with this key, if there is one.
    pub fn from_key(key: &str) -> Option<Message> {
        Message::ALL.iter().copied().find(|m| m.key() == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_read_back() {
        for m in Message::ALL {
            assert_eq!(Message::from_key(m.key()), Some(*m));
            assert!(!m.to_string().is_empty());
        }
        let mut keys: Vec<_> = Message::ALL.iter().map(|m| m.key()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), Message::ALL.len());
        assert_eq!(Message::from_key("Click here to claim your prize"), None);
    }

    #[test]
    fn limits_in_messages_follow_the_constants() {
        assert!(Message::PasswordTooShort
            .to_string()
            .contains(&PASSWORD_MIN_CHARS.to_string()));
        assert!(Message::NameTooLong
            .to_string()
            .contains(&(NAME_MAX_CHARS + 1).to_string()));
    }
}
