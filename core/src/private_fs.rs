//! Files and directories only their owner may use, on every platform: mode 0700 directories
//! and 0600 files on Unix; on Windows the inherited ACL of the user's profile directory, which
//! other users cannot read (the permission bits have no meaning there).

use std::fs::OpenOptions;
use std::path::Path;

/// Creates `dir` and its missing parents, owner-only.
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Makes an existing file owner-only.
pub(crate) fn set_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// `OpenOptions` whose newly created file is owner-only.
pub(crate) fn private_open_options() -> OpenOptions {
    #[allow(unused_mut)]
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// A temporary-file builder whose file is owner-only from the moment it exists.
pub(crate) fn private_tempfile<'a, 'b>() -> tempfile::Builder<'a, 'b> {
    #[allow(unused_mut)]
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o600));
    }
    builder
}
