//! Password hashing with argon2id (OWASP parameters: m=19456 KiB, t=2, p=1), run on a small
//! fixed pool of threads of its own, so a flood of sign-ins queues up instead of starving every
//! other request of CPU. Always the same threads: each hash's 19 MiB is reused from the thread's
//! own heap instead of new memory on whichever blocking thread tokio picks (which drove the
//! peak RSS up to 117 MB under `scripts/bench`). The queue is bounded: when it is full, the
//! request is answered at once with `Busy` (503 and `Retry-After`) instead of waiting behind
//! work that someone may have queued only to slow everybody else down.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    mpsc, Arc, Mutex,
};

use argon2::{
    password_hash::{
        rand_core::OsRng, PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString,
    },
    Algorithm, Argon2, Params, Version,
};
use tokio::sync::oneshot;

use super::{
    devices::KnownDevices,
    limits::{Limiter, SignInThrottle},
};
use crate::{
    domain::{AppError, Email, Password},
    server::{crypto::TokenKey, db::users::UserRecord},
};

/// Memory cost in KiB (OWASP Password Storage Cheat Sheet, argon2id option 2).
pub const M_COST_KIB: u32 = 19_456;
/// Iterations.
pub const T_COST: u32 = 2;
/// Parallelism.
pub const P_COST: u32 = 1;

/// A hash of a random password with the parameters above. Unknown emails are verified against
/// it, so they take as long as a wrong password for a real account.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2VhbWxlc3MtZHVtbXktc2FsdA$T1tUSaOpLtc4M1pqRBAoXEaVrQjHkNB7dAcSrrqVr9E";

type Job = Box<dyn FnOnce() + Send>;

/// What a client is told to wait when the queue is full, in seconds.
const BUSY_RETRY_AFTER: u64 = 2;

/// Hashes and verifies passwords off the async runtime, on threads of its own. The threads end
/// when the last clone of the hasher is dropped.
#[derive(Clone)]
pub struct PasswordHasher {
    jobs: mpsc::Sender<Job>,
    /// Jobs queued or running.
    in_flight: Arc<AtomicUsize>,
    /// Most jobs queued or running at once; more are refused.
    limit: usize,
}

/// A place in the queue; given back when its job ends (done, skipped or dropped).
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl PasswordHasher {
    /// Jobs queued or running now (for the metrics).
    pub fn jobs(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Most jobs queued or running at once.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// `concurrency`: how many hashes may run at once (that many threads); `limit`: how many
    /// may be queued or running at once (at least `concurrency`).
    pub fn new(concurrency: usize, limit: usize) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..concurrency.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || loop {
                    // The lock is held only while waiting for the next job, not while hashing.
                    let next = match queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    match next {
                        // A panic ends that job (its caller gets a 500), not the thread.
                        Ok(job) => {
                            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                        }
                        Err(mpsc::RecvError) => return,
                    }
                })?;
        }
        Ok(PasswordHasher {
            jobs,
            in_flight: Arc::new(AtomicUsize::new(0)),
            limit: limit.max(concurrency.max(1)),
        })
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) for a new password.
    pub async fn hash(&self, password: &Password) -> Result<String, AppError> {
        let password = password.clone();
        self.run(move || {
            let salt = SaltString::generate(&mut OsRng);
            let hash = argon2().hash_password(password.expose().as_bytes(), &salt)?;
            Ok(hash.to_string())
        })
        .await
    }

    /// Checks `password` against a stored hash, or against a dummy hash when there is none
    /// (unknown email, or an account without a password), so timing does not reveal which.
    pub async fn verify(
        &self,
        password: &Password,
        stored: Option<&str>,
    ) -> Result<bool, AppError> {
        let password = password.clone();
        let has_hash = stored.is_some();
        let phc = stored.unwrap_or(DUMMY_HASH).to_owned();
        self.run(move || {
            let parsed = match PasswordHash::new(&phc) {
                Ok(parsed) => parsed,
                Err(e) => {
                    tracing::error!(error = %e, "stored password hash is malformed");
                    return Err(AppError::Internal);
                }
            };
            let matches = argon2()
                .verify_password(password.expose().as_bytes(), &parsed)
                .is_ok();
            Ok(matches && has_hash)
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        if self.in_flight.fetch_add(1, Ordering::AcqRel) >= self.limit {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            tracing::warn!(
                limit = self.limit,
                "password hashing queue full: request refused"
            );
            return Err(AppError::Busy {
                retry_after: BUSY_RETRY_AFTER,
            });
        }
        let slot = Slot(self.in_flight.clone());
        let (done, result) = oneshot::channel();
        // Exported, the hash is a span of its own (from the moment it is queued); otherwise
        // its log lines are the request's.
        let span = match crate::export_span!("password hash") {
            span if span.is_none() => tracing::Span::current(),
            span => span,
        };
        let job: Job = Box::new(move || {
            // The client went away while this waited in the queue: skip the work.
            if done.is_closed() {
                return;
            }
            let answer = span.in_scope(work);
            // The place is given back before the answer goes out, so whoever has the answer
            // sees the queue without this job.
            drop(slot);
            let _ = done.send(answer);
        });
        if self.jobs.send(job).is_err() {
            tracing::error!("the password hashing threads are gone");
            return Err(AppError::Internal);
        }
        result.await.map_err(|_| {
            tracing::error!("a password hashing job ended without an answer");
            AppError::Internal
        })?
    }
}

/// What checking a password at sign-in uses: the limits it counts failures against, the
/// hasher, and the key that signs the browsers an account knows (device cookies).
pub struct SignInGuard<'a> {
    pub limiter: &'a Limiter,
    pub hasher: &'a PasswordHasher,
    pub device_key: &'a TokenKey,
}

/// Checks a password typed to sign in as `email` (whose account, if there is one, is `user`),
/// for the pages, the API and provider linking alike. Counted by the sign-in throttle, which
/// counts failures only, and for a browser the account knows (its device cookie) only that
/// browser's failures. Unknown email, account without a password and wrong password all cost
/// one argon2 verification and answer `false`.
pub async fn check_sign_in(
    guard: &SignInGuard<'_>,
    email: &Email,
    user: Option<&UserRecord>,
    password: String,
    ip: Option<&str>,
    devices: &KnownDevices,
) -> Result<bool, AppError> {
    let device = user.and_then(|u| devices.nonce_for(guard.device_key, u));
    let throttle = SignInThrottle::begin(guard.limiter, email, ip, device).await?;
    let verified = match Password::parse_attempt(password) {
        Some(password) => {
            let stored = user.and_then(|u| u.password_hash.as_deref());
            guard.hasher.verify(&password, stored).await
        }
        None => Ok(false),
    };
    if !matches!(verified, Ok(false)) {
        // Right, or never checked (the queue was full): not a failure.
        throttle.succeeded(guard.limiter).await;
    } else {
        tracing::info!("sign-in failed");
    }
    verified
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None)
        .unwrap_or_else(|_| unreachable!("the OWASP parameters are valid"));
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashing failed (argon2 refused its own parameters or the salt: a bug, not the request's
/// fault): logged once, with the detail, and answered 500 without it.
impl From<argon2::password_hash::Error> for AppError {
    fn from(err: argon2::password_hash::Error) -> AppError {
        tracing::error!(error = %err, "password hashing failed");
        AppError::Internal
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn pw(s: &str) -> Password {
        Password::parse_new(s.to_owned(), "password").unwrap()
    }

    #[tokio::test]
    async fn a_hash_verifies_its_own_password_only() {
        let hasher = PasswordHasher::new(1, 8).unwrap();
        let hash = hasher.hash(&pw("a long passphrase")).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(hasher
            .verify(&pw("a long passphrase"), Some(&hash))
            .await
            .unwrap());
        assert!(!hasher
            .verify(&pw("a long passphrasE"), Some(&hash))
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn hashes_run_on_the_pools_own_threads_at_most_concurrency_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let hasher = PasswordHasher::new(2, 8).unwrap();
        let active = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let jobs: Vec<_> = (0..8)
            .map(|_| {
                let (hasher, active, most) = (hasher.clone(), active.clone(), most.clone());
                tokio::spawn(async move {
                    hasher
                        .run(move || {
                            let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            // Real work, long enough for the jobs to overlap if the pool let them.
                            let salt = SaltString::generate(&mut OsRng);
                            let _ = argon2().hash_password(b"overlapping", &salt);
                            active.fetch_sub(1, Ordering::SeqCst);
                            Ok(std::thread::current().name().map(str::to_owned))
                        })
                        .await
                })
            })
            .collect();
        let mut names = HashSet::new();
        for job in jobs {
            names.insert(job.await.unwrap().unwrap());
        }
        assert_eq!(most.load(Ordering::SeqCst), 2, "two at once, never more");
        assert!(
            names
                .iter()
                .all(|n| n.as_deref().is_some_and(|n| n.starts_with("argon2-"))),
            "{names:?}"
        );
        assert!(
            names.len() <= 2,
            "the same two threads every time: {names:?}"
        );
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_instead_of_waiting() {
        let hasher = PasswordHasher::new(1, 2).unwrap();
        let (release, gate) = mpsc::channel::<()>();
        let gate = Arc::new(Mutex::new(gate));
        // One job running, one queued behind it: the queue is full.
        let held: Vec<_> = (0..2)
            .map(|_| {
                let (hasher, gate) = (hasher.clone(), gate.clone());
                tokio::spawn(async move {
                    hasher
                        .run(move || {
                            let _ = gate.lock().map(|g| g.recv());
                            Ok(())
                        })
                        .await
                })
            })
            .collect();
        while hasher.in_flight.load(Ordering::Acquire) < 2 {
            tokio::task::yield_now().await;
        }

        let refused = hasher.verify(&pw("whatever123"), None).await;

        assert_eq!(refused, Err(AppError::Busy { retry_after: 2 }));
        release.send(()).unwrap();
        release.send(()).unwrap();
        for job in held {
            assert_eq!(job.await.unwrap(), Ok(()));
        }
        assert_eq!(
            hasher.in_flight.load(Ordering::Acquire),
            0,
            "every slot given back"
        );
        assert!(!hasher.verify(&pw("whatever123"), None).await.unwrap());
    }

    #[tokio::test]
    async fn verifying_without_a_stored_hash_always_fails() {
        let hasher = PasswordHasher::new(1, 8).unwrap();
        assert!(!hasher.verify(&pw("whatever123"), None).await.unwrap());
    }

    #[test]
    fn the_dummy_hash_uses_the_same_parameters_as_real_hashes() {
        let parsed = PasswordHash::new(DUMMY_HASH).unwrap();
        let params = Params::try_from(&parsed).unwrap();
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (M_COST_KIB, T_COST, P_COST)
        );
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
    }
}
