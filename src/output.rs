//! Output folders and files that are consistent as a whole, and never
//! clobber an input.
//!
//! A command that writes a folder (`run`, `demo`, `export-hdl`) writes into a
//! fresh private staging folder beside the target and renames it into place
//! when everything is written, so a killed or failed run leaves either the
//! previous output or the new one — never a mix, never stray temporary
//! files in the target. A folder is only ever replaced when it is empty or
//! holds a previous output of the same command (recognised by the marker
//! file spikefab writes last); anything else is refused, so `--out ~` cannot
//! wipe a home folder. Staging folders are removed on every error path, on
//! Ctrl-C and SIGTERM, and (if a process was killed outright) by the next
//! command that writes the same target.

use anyhow::Context;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The marker a finished output folder holds, written last: `spikefab <kind>`.
pub const MARKER: &str = ".spikefab-output";

/// Staging folders that exist right now, for the signal handler.
static STAGING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes every live staging folder and exits (Ctrl-C, SIGTERM).
pub fn install_signal_cleanup() {
    let _ = ctrlc::set_handler(|| {
        if let Ok(list) = STAGING.lock() {
            for p in list.iter() {
                let _ = std::fs::remove_dir_all(p);
            }
        }
        std::process::exit(130);
    });
}

/// What may happen to a previous output of the same command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Previous {
    /// Replace it (a rerun).
    Replace,
    /// Refuse, naming the flag that allows it.
    Refuse { flag: &'static str },
}

/// An output folder being written.
pub struct Staged {
    target: PathBuf,
    kind: &'static str,
    staging: Option<tempfile::TempDir>,
}

impl Staged {
    /// Starts writing the folder `target` for command `kind`.
    pub fn begin(target: &Path, kind: &'static str, previous: Previous) -> anyhow::Result<Staged> {
        check_target(target, kind, previous)?;
        let parent = parent_of(target);
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("creating {}", parent.display()))?;
        let name = file_name(target)?;
        remove_stale(&parent, &name);
        let staging = tempfile::Builder::new()
            .prefix(&format!(".{name}.staging-{}-", std::process::id()))
            .tempdir_in(&parent)
            .with_context(|| format!("creating a staging folder in {}", parent.display()))?;
        if let Ok(mut l) = STAGING.lock() {
            l.push(staging.path().to_path_buf());
        }
        Ok(Staged {
            target: target.to_path_buf(),
            kind,
            staging: Some(staging),
        })
    }

    /// Where to write the files.
    pub fn path(&self) -> &Path {
        self.staging.as_ref().expect("not yet committed").path()
    }

    /// Marks the folder finished and moves it into place (replacing a
    /// previous output of the same kind, checked again now).
    pub fn commit(mut self) -> anyhow::Result<()> {
        let staging = self.staging.take().expect("committed once");
        crate::write_text(
            &staging.path().join(MARKER),
            &format!("spikefab {}\n", self.kind),
        )?;
        let name = file_name(&self.target)?;
        let parent = parent_of(&self.target);
        let old = if std::fs::symlink_metadata(&self.target).is_ok() {
            // Checked at the start; checked again in case it changed meanwhile.
            check_target(&self.target, self.kind, Previous::Replace)?;
            let old = tempfile::Builder::new()
                .prefix(&format!(".{name}.old-"))
                .tempdir_in(&parent)?
                .keep();
            let slot = old.join("previous");
            std::fs::rename(&self.target, &slot)
                .with_context(|| format!("moving the previous {} aside", self.target.display()))?;
            Some(old)
        } else {
            None
        };
        let path = staging.keep();
        forget(&path);
        // The staging folder was private (0700); the output is an ordinary folder.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        }
        std::fs::rename(&path, &self.target)
            .with_context(|| format!("moving the new output into {}", self.target.display()))?;
        if let Some(old) = old {
            let _ = std::fs::remove_dir_all(old);
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(s) = &self.staging {
            forget(s.path());
        }
        // TempDir's own drop removes an uncommitted staging folder.
    }
}

fn forget(p: &Path) {
    if let Ok(mut l) = STAGING.lock() {
        l.retain(|x| x != p);
    }
}

fn parent_of(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn file_name(target: &Path) -> anyhow::Result<String> {
    target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| anyhow::anyhow!("{} does not name a folder", target.display()))
}

/// The target may be absent, an empty folder, or a previous output of `kind`.
fn check_target(target: &Path, kind: &str, previous: Previous) -> anyhow::Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(target) else {
        return Ok(());
    };
    if meta.file_type().is_symlink() || !meta.is_dir() {
        anyhow::bail!(
            "{} exists and is not a folder (a link or a file): choose another output folder",
            target.display()
        );
    }
    let empty = std::fs::read_dir(target)
        .with_context(|| format!("reading {}", target.display()))?
        .next()
        .is_none();
    if empty {
        return Ok(());
    }
    let marker = std::fs::read_to_string(target.join(MARKER)).unwrap_or_default();
    if marker.trim() != format!("spikefab {kind}") {
        anyhow::bail!(
            "{} is not empty and is not a previous 'spikefab {kind}' output: choose another output folder or empty it",
            target.display()
        );
    }
    match previous {
        Previous::Replace => Ok(()),
        Previous::Refuse { flag } => anyhow::bail!(
            "{} holds a previous '{kind}' output: pass {flag} to replace it",
            target.display()
        ),
    }
}

/// Removes staging folders of `name` left by processes that no longer run.
fn remove_stale(parent: &Path, name: &str) {
    let prefix = format!(".{name}.staging-");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = file.strip_prefix(&prefix) else {
            continue;
        };
        let pid: Option<u32> = rest.split('-').next().and_then(|p| p.parse().ok());
        let alive = pid.is_some_and(|p| Path::new(&format!("/proc/{p}")).exists());
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        if pid.is_some() && !alive && is_dir && cfg!(target_os = "linux") {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Refuses outputs that are one of the inputs, or folders that hold one.
pub fn check_distinct(inputs: &[&Path], outputs: &[&Path]) -> anyhow::Result<()> {
    for &out in outputs {
        let Ok(out_canon) = std::fs::canonicalize(out) else {
            continue; // does not exist yet: cannot be an input
        };
        for &inp in inputs {
            let Ok(in_canon) = std::fs::canonicalize(inp) else {
                continue;
            };
            if same_file::is_same_file(&in_canon, &out_canon).unwrap_or(false)
                || in_canon.starts_with(&out_canon)
            {
                anyhow::bail!(
                    "the output {} would overwrite the input {}: choose another output",
                    out.display(),
                    inp.display()
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_replaced_whole_and_only_when_it_is_ours() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let s = Staged::begin(&out, "run", Previous::Replace).unwrap();
        std::fs::write(s.path().join("a.txt"), "1").unwrap();
        std::fs::write(s.path().join("old-only.txt"), "x").unwrap();
        s.commit().unwrap();
        assert!(out.join("a.txt").exists() && out.join(MARKER).exists());

        // a second run replaces the folder as a whole: old-only.txt is gone
        let s = Staged::begin(&out, "run", Previous::Replace).unwrap();
        std::fs::write(s.path().join("a.txt"), "2").unwrap();
        s.commit().unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a.txt")).unwrap(), "2");
        assert!(!out.join("old-only.txt").exists());

        // a failed run (dropped before commit) leaves the previous output and no staging folder
        let s = Staged::begin(&out, "run", Previous::Replace).unwrap();
        std::fs::write(s.path().join("a.txt"), "3").unwrap();
        drop(s);
        assert_eq!(std::fs::read_to_string(out.join("a.txt")).unwrap(), "2");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["run".to_string()], "{names:?}");

        // other commands' folders and foreign folders are refused
        assert!(Staged::begin(&out, "export-hdl", Previous::Replace).is_err());
        let foreign = dir.path().join("home");
        std::fs::create_dir(&foreign).unwrap();
        std::fs::write(foreign.join("precious.txt"), "keep").unwrap();
        let e = Staged::begin(&foreign, "run", Previous::Replace)
            .err()
            .unwrap();
        assert!(e.to_string().contains("not a previous"), "{e}");
        assert!(foreign.join("precious.txt").exists());
        // refusing a previous output of the same kind names the flag
        let e = Staged::begin(&out, "run", Previous::Refuse { flag: "--force" })
            .err()
            .unwrap();
        assert!(e.to_string().contains("--force"), "{e}");
    }

    #[test]
    fn outputs_may_not_be_or_contain_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("in.ron");
        std::fs::write(&f, "x").unwrap();
        assert!(check_distinct(&[&f], &[&f]).is_err());
        assert!(check_distinct(&[&f], &[dir.path()]).is_err());
        assert!(check_distinct(&[&f], &[&dir.path().join("new.sfc")]).is_ok());
    }
}
