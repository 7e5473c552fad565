//! Working across threads: locks that survive a panic elsewhere, and keyring and file work kept
//! off the async threads. The sign-in plugin and the app use these too, so there is one policy.

use std::sync::{Mutex, MutexGuard};

/// Locks a mutex, recovering the data if another thread panicked while holding it: one failed
/// request or task must not make the rest of the app unusable. Callers keep only values that a
/// panic cannot leave half-changed.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs keyring or file work on the blocking pool: a keyring may wait for a person to unlock
/// it, and a disk may be slow. A panic in `work` is resumed in the caller, as if the work had
/// run in place.
pub async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_lock_poisoned_by_a_panic_still_gives_its_data() {
        let shared = Arc::new(Mutex::new(1));
        let poisoner = shared.clone();
        let panicked = std::thread::spawn(move || {
            let mut value = poisoner.lock().unwrap();
            *value = 2;
            panic!("a panic while holding the lock");
        })
        .join();
        assert!(panicked.is_err(), "the thread panicked");
        assert!(shared.is_poisoned());
        assert_eq!(*lock(&shared), 2);
    }

    #[tokio::test]
    async fn blocking_work_returns_its_value() {
        assert_eq!(blocking(|| 6 * 7).await, 42);
    }

    #[tokio::test]
    #[should_panic(expected = "the keyring broke")]
    async fn a_panic_in_blocking_work_is_resumed_in_the_caller() {
        blocking(|| panic!("the keyring broke")).await
    }
}
