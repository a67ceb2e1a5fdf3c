//! Stand-ins for the KeyValueStore's data plane.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use async_trait::async_trait;

use super::super::{EdgeStore, EdgeStoreError};

/// An in-memory KeyValueStore: an ETag that moves with every write, AWS's 50-key limit, and
/// answers scripted per update call.
#[derive(Debug, Default)]
pub(super) struct FakeKvs {
    pub(super) state: Mutex<State>,
}

#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) version: u64,
    pub(super) keys: BTreeMap<String, String>,
    pub(super) describes: usize,
    /// Each update call accepted: its keys put and deleted.
    pub(super) updates: Vec<(Vec<String>, Vec<String>)>,
    /// What the next update calls answer: `None` applies the update, an error is answered
    /// instead (a conflict also moves the ETag, as another writer would). Empty: apply.
    pub(super) script: VecDeque<Option<EdgeStoreError>>,
    /// Deleting a key that is not there fails the whole call (one way AWS may answer).
    pub(super) missing_delete_not_found: bool,
}

pub(super) fn other(call: &'static str) -> EdgeStoreError {
    EdgeStoreError::Other {
        call,
        message: "injected".into(),
    }
}

pub(super) fn conflict() -> EdgeStoreError {
    EdgeStoreError::Conflict {
        call: "UpdateKeys",
        message: "injected".into(),
    }
}

#[async_trait]
impl EdgeStore for FakeKvs {
    async fn etag(&self) -> Result<String, EdgeStoreError> {
        let mut s = self.state.lock().unwrap();
        s.describes += 1;
        Ok(format!("E{}", s.version))
    }

    async fn update(
        &self,
        if_match: &str,
        puts: &[(String, String)],
        deletes: &[String],
    ) -> Result<String, EdgeStoreError> {
        let mut s = self.state.lock().unwrap();
        if let Some(e) = s.script.pop_front().flatten() {
            if matches!(e, EdgeStoreError::Conflict { .. }) {
                s.version += 1;
            }
            return Err(e);
        }
        if if_match != format!("E{}", s.version) {
            return Err(conflict());
        }
        assert!(puts.len() + deletes.len() <= 50, "over UpdateKeys' limit");
        assert!(puts.len() + deletes.len() > 0, "an empty update");
        if s.missing_delete_not_found && deletes.iter().any(|k| !s.keys.contains_key(k)) {
            return Err(EdgeStoreError::NotFound {
                call: "UpdateKeys",
                message: "key not found".into(),
            });
        }
        for (key, value) in puts {
            s.keys.insert(key.clone(), value.clone());
        }
        for key in deletes {
            s.keys.remove(key);
        }
        s.version += 1;
        let record = (puts.iter().map(|p| p.0.clone()).collect(), deletes.to_vec());
        s.updates.push(record);
        Ok(format!("E{}", s.version))
    }
}

impl FakeKvs {
    pub(super) fn keys(&self) -> BTreeMap<String, String> {
        self.state.lock().unwrap().keys.clone()
    }
    pub(super) fn updates(&self) -> Vec<(Vec<String>, Vec<String>)> {
        self.state.lock().unwrap().updates.clone()
    }
    pub(super) fn describes(&self) -> usize {
        self.state.lock().unwrap().describes
    }
    pub(super) fn script(&self, answers: impl IntoIterator<Item = Option<EdgeStoreError>>) {
        self.state.lock().unwrap().script.extend(answers);
    }
}

/// A store whose ETag cannot be read.
#[derive(Debug)]
pub(super) struct FailingDescribe;

#[async_trait]
impl EdgeStore for FailingDescribe {
    async fn etag(&self) -> Result<String, EdgeStoreError> {
        Err(other("DescribeKeyValueStore"))
    }
    async fn update(
        &self,
        _: &str,
        _: &[(String, String)],
        _: &[String],
    ) -> Result<String, EdgeStoreError> {
        panic!("no update without an ETag")
    }
}
