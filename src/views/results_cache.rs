//! The Users page's rendered results, kept for reuse. An entry is keyed by the domain,
//! the domain's data version and the whole view (search, filters, sort, page size and
//! position). The database moves a domain's version on in the same transaction as any
//! change to its users or devices (migration `domain_data_version`), so no request is
//! served results older than the domain's data as its own session check read it, on
//! any instance sharing the database. Entries are bounded by their total size; the least recently used go first.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::NaiveDateTime;

use crate::domain::ids::DomainId;
use crate::domain::listing::ListView;

/// The cache's default size: about a hundred pages of 50 rows.
pub const DEFAULT_CACHE_MIB: u32 = 4;

pub fn mib_to_bytes(mib: u32) -> usize {
    usize::try_from(mib)
        .unwrap_or(usize::MAX)
        .saturating_mul(1 << 20)
}

/// Which results an entry holds. The domain's name is in the HTML, and with its
/// creation time it tells apart a domain that reuses a deleted one's id (SQLite may
/// hand out an id again) before the new one's version passes the old one's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResultsKey {
    pub domain_id: DomainId,
    pub domain_name: String,
    pub domain_created_at: NaiveDateTime,
    pub data_version: i64,
    pub view: ListView,
}

impl ResultsKey {
    fn same_domain(&self, other: &ResultsKey) -> bool {
        self.domain_id == other.domain_id
            && self.domain_created_at == other.domain_created_at
            && self.domain_name == other.domain_name
    }
}

struct Entry {
    html: Arc<str>,
    last_used: u64,
}

#[derive(Default)]
struct Entries {
    by_key: HashMap<ResultsKey, Entry>,
    bytes: usize,
    clock: u64,
}

impl Entries {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    fn remove(&mut self, key: &ResultsKey) {
        if let Some(entry) = self.by_key.remove(key) {
            self.bytes -= entry.html.len();
        }
    }
}

pub struct ResultsCache {
    budget_bytes: usize,
    entries: Mutex<Entries>,
}

impl ResultsCache {
    /// A cache holding at most `budget_bytes` of HTML; 0 turns it off.
    pub fn new(budget_bytes: usize) -> Self {
        Self {
            budget_bytes,
            entries: Mutex::default(),
        }
    }

    pub fn get(&self, key: &ResultsKey) -> Option<Arc<str>> {
        if self.budget_bytes == 0 {
            return None;
        }
        let mut entries = self.lock();
        let now = entries.tick();
        let entry = entries.by_key.get_mut(key)?;
        entry.last_used = now;
        Some(Arc::clone(&entry.html))
    }

    /// Keeps `html` for `key`. Entries of the domain's older versions are only of use
    /// to requests that read the version before it moved on, and go at once; results
    /// read under an older version than one already kept are not kept. Then the least
    /// recently used go, while over budget.
    pub fn insert(&self, key: ResultsKey, html: Arc<str>) {
        // One entry may take at most a quarter of the budget, so a few large pages
        // cannot push out everything else.
        if html.len() > self.budget_bytes / 4 {
            return;
        }
        let mut entries = self.lock();
        if entries
            .by_key
            .keys()
            .any(|kept| kept.same_domain(&key) && kept.data_version > key.data_version)
        {
            return;
        }
        let outdated: Vec<ResultsKey> = entries
            .by_key
            .keys()
            .filter(|old| old.same_domain(&key) && old.data_version < key.data_version)
            .cloned()
            .collect();
        for old in &outdated {
            entries.remove(old);
        }
        let last_used = entries.tick();
        entries.bytes += html.len();
        if let Some(replaced) = entries.by_key.insert(key, Entry { html, last_used }) {
            entries.bytes -= replaced.html.len();
        }
        while entries.bytes > self.budget_bytes {
            let Some(oldest) = entries
                .by_key
                .iter()
                .min_by_key(|(_, entry)| entry.last_used)
                .map(|(key, _)| key.clone())
            else {
                break;
            };
            entries.remove(&oldest);
        }
    }

    /// The entries' total size in bytes.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.lock().bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // The entries stay consistent whatever a panicking holder was doing: each
        // change to them completes before the next can start.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::listing::SortKey;

    fn key(domain: i64, data_version: i64, sort: SortKey) -> ResultsKey {
        ResultsKey {
            domain_id: DomainId::new(domain),
            domain_name: format!("d{domain}.example"),
            domain_created_at: NaiveDateTime::default(),
            data_version,
            view: ListView {
                sort,
                ..ListView::default()
            },
        }
    }

    #[test]
    fn serves_an_entry_only_for_its_own_version_and_view() {
        let cache = ResultsCache::new(1000);
        cache.insert(key(1, 5, SortKey::Extension), Arc::from("five"));
        assert_eq!(
            cache.get(&key(1, 5, SortKey::Extension)).as_deref(),
            Some("five")
        );
        assert!(cache.get(&key(1, 6, SortKey::Extension)).is_none());
        assert!(cache.get(&key(1, 5, SortKey::Name)).is_none());
        assert!(cache.get(&key(2, 5, SortKey::Extension)).is_none());
    }

    #[test]
    fn a_newer_version_drops_the_domains_older_entries_only() {
        let cache = ResultsCache::new(1000);
        cache.insert(key(1, 5, SortKey::Extension), Arc::from("old"));
        cache.insert(key(2, 5, SortKey::Extension), Arc::from("other"));
        cache.insert(key(1, 6, SortKey::Name), Arc::from("new"));
        assert!(cache.get(&key(1, 5, SortKey::Extension)).is_none());
        assert_eq!(
            cache.get(&key(2, 5, SortKey::Extension)).as_deref(),
            Some("other")
        );
        assert_eq!(cache.bytes(), "other".len() + "new".len());
        // Results read under the old version by a slower request are not kept.
        cache.insert(key(1, 5, SortKey::Extension), Arc::from("late"));
        assert!(cache.get(&key(1, 5, SortKey::Extension)).is_none());
    }

    #[test]
    fn stays_within_budget_by_dropping_the_least_recently_used() {
        let cache = ResultsCache::new(40);
        cache.insert(key(1, 1, SortKey::Extension), Arc::from("aaaaaaaaaa"));
        cache.insert(key(2, 1, SortKey::Extension), Arc::from("bbbbbbbbbb"));
        cache.insert(key(3, 1, SortKey::Extension), Arc::from("cccccccccc"));
        // Domain 1's entry is used, so domain 2's is now the least recently used.
        assert!(cache.get(&key(1, 1, SortKey::Extension)).is_some());
        cache.insert(key(4, 1, SortKey::Extension), Arc::from("dddddddddd"));
        cache.insert(key(5, 1, SortKey::Extension), Arc::from("eeeeeeeeee"));
        assert!(cache.bytes() <= 40);
        assert!(cache.get(&key(2, 1, SortKey::Extension)).is_none());
        assert!(cache.get(&key(1, 1, SortKey::Extension)).is_some());
        assert!(cache.get(&key(5, 1, SortKey::Extension)).is_some());
    }

    #[test]
    fn a_zero_budget_keeps_nothing() {
        let cache = ResultsCache::new(0);
        cache.insert(key(1, 1, SortKey::Extension), Arc::from("x"));
        assert!(cache.get(&key(1, 1, SortKey::Extension)).is_none());
        assert_eq!(cache.bytes(), 0);
    }
}
