//! The loaded state (heads, policy, API keys, Coral secrets, story targets), swapped
//! whole on reload.
//!
//! A reload (SIGHUP or `POST /admin/reload`) reads every file again and checks it
//! ([`super::engine::Engine::load`] scores a probe comment with every head) before it
//! replaces anything; a file that fails leaves the old state serving. A request takes
//! the state once, at its start, and keeps it to its end ([`arc_swap`]), so a reload
//! under load loses no request and mixes no two models in one answer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use arc_swap::ArcSwap;

use super::auth::Keys;
use super::coral::{Secrets, Stories};
use super::engine::{Engine, ThreadMemory};
use super::ServeConfig;

/// One consistent set of what the service serves with.
#[derive(Debug)]
pub struct Loaded {
    /// Heads and policy.
    pub engine: Engine,
    /// API keys (`None`: `--insecure-no-auth`).
    pub keys: Option<Keys>,
    /// Coral signing secrets (`None`: the Coral endpoint is off).
    pub secrets: Option<Secrets>,
    /// Story URL → stance target.
    pub stories: Stories,
    /// 1 for the state loaded at start, +1 per successful reload.
    pub generation: u64,
    /// When it was loaded.
    pub loaded_at: SystemTime,
}

/// The current state and how to load the next one.
#[derive(Debug)]
pub struct Holder {
    config: ServeConfig,
    current: ArcSwap<Loaded>,
    generation: AtomicU64,
    /// One reload at a time.
    reloading: Mutex<()>,
    /// The parent cache, kept across reloads.
    pub memory: ThreadMemory,
}

/// Reads and checks every file named in `config`.
fn load(config: &ServeConfig, generation: u64) -> Result<Loaded, String> {
    let engine = Engine::load(&config.models, config.policy.as_deref())?;
    let keys = match (&config.keys, config.insecure_no_auth) {
        (Some(p), _) => Some(Keys::load(p)?),
        (None, true) => None,
        (None, false) => {
            return Err(
                "no --keys FILE given (API keys are required unless --insecure-no-auth)".into(),
            )
        }
    };
    let secrets = match &config.coral_secrets {
        Some(p) => Some(Secrets::load(p)?),
        None => None,
    };
    let stories = match &config.stories {
        Some(p) => Stories::load(p)?,
        None => Stories::default(),
    };
    Ok(Loaded {
        engine,
        keys,
        secrets,
        stories,
        generation,
        loaded_at: SystemTime::now(),
    })
}

impl Holder {
    /// Loads the first state; an error names the file that failed.
    pub fn new(config: ServeConfig) -> Result<Holder, String> {
        let first = load(&config, 1)?;
        Ok(Holder {
            memory: ThreadMemory::new(config.thread_cache, config.thread_cache_mb),
            current: ArcSwap::from_pointee(first),
            generation: AtomicU64::new(1),
            reloading: Mutex::new(()),
            config,
        })
    }

    /// The state to serve one request with.
    pub fn get(&self) -> Arc<Loaded> {
        self.current.load_full()
    }

    /// The settings the service was started with.
    pub fn config(&self) -> &ServeConfig {
        &self.config
    }

    /// Loads every file again and, when all of them load and check, serves with them
    /// from now on; otherwise keeps the current state. Returns the new generation.
    pub fn reload(&self) -> Result<u64, String> {
        let _one = self.reloading.lock().unwrap_or_else(|p| p.into_inner());
        let next = self.generation.load(Ordering::SeqCst) + 1;
        let loaded = load(&self.config, next)?;
        self.current.store(Arc::new(loaded));
        self.generation.store(next, Ordering::SeqCst);
        Ok(next)
    }
}
