//! The macOS Keychain, laid out exactly as aws-vault (99designs/keyring's `keychain` backend)
//! lays it out, so each tool reads the other's items.
//!
//! Every item is a generic password (`kSecClassGenericPassword`) with:
//!
//! | attribute | value |
//! | --- | --- |
//! | keychain | the file `<keychain name>.keychain` (`aws-vault.keychain`, in `~/Library/Keychains/`), or the default search list when the name is empty |
//! | `kSecAttrService` | the service name (`aws-vault`) |
//! | `kSecAttrAccount` | the item's key |
//! | `kSecAttrLabel` | the item's label (left out when empty) |
//! | `kSecAttrDescription` | the item's description (left out when empty) |
//! | `kSecValueData` | the item's data, byte for byte |
//! | `kSecAttrAccess` | on creation, an access object labelled with the item's label that trusts the calling program, or no program ([`ItemAccess`]) |
//!
//! No synchronizable or accessibility attribute is set: aws-vault leaves
//! `KeychainSynchronizable` and `KeychainAccessibleWhenUnlocked` off.
//!
//! As in aws-vault, reading, listing and removing never create the keychain file — a missing
//! file reads as empty — and the first [`Keychain::set`] creates it, letting macOS ask the user
//! for the new keychain's password. Replacing an item keeps its access control as it was, so an
//! update does not ask once more per trusted program.

use std::ffi::CString;
use std::ptr;
use std::sync::Arc;

use core_foundation::array::CFArray;
use core_foundation::base::{CFType, CFTypeRef, OSStatus, TCFType};
use core_foundation::boolean::CFBoolean;
use core_foundation::data::CFData;
use core_foundation::dictionary::CFDictionary;
use core_foundation::string::{CFString, CFStringRef};
use security_framework::os::macos::access::SecAccess;
use security_framework::os::macos::keychain::SecKeychain;
use security_framework_sys::base::{
    SecAccessRef, SecKeychainRef, errSecAuthFailed, errSecDuplicateItem, errSecItemNotFound,
    errSecSuccess,
};
use security_framework_sys::item::{
    kSecAttrAccount, kSecAttrDescription, kSecAttrLabel, kSecAttrService, kSecClass,
    kSecClassGenericPassword, kSecMatchLimit, kSecMatchLimitAll, kSecMatchSearchList,
    kSecReturnAttributes, kSecReturnData, kSecUseKeychain, kSecValueData,
};
use security_framework_sys::keychain::{SecKeychainCreate, SecKeychainOpen};
use security_framework_sys::keychain_item::{
    SecItemAdd, SecItemCopyMatching, SecItemDelete, SecItemUpdate,
};
use zeroize::Zeroizing;

use crate::error::KEYCHAIN as STORE;
use crate::layout::{check_key, check_service, keychain_file_name};
use crate::{StoreError, StoredItem};

/// Security framework items that security-framework-sys does not declare.
#[allow(non_upper_case_globals, non_snake_case)]
mod ffi {
    use core_foundation::array::CFArrayRef;
    use core_foundation::base::OSStatus;
    use core_foundation::string::CFStringRef;
    use security_framework_sys::base::{SecAccessRef, SecKeychainRef};

    #[link(name = "Security", kind = "framework")]
    unsafe extern "C" {
        pub static kSecAttrAccess: CFStringRef;
        pub static kSecMatchLimitOne: CFStringRef;
        pub fn SecAccessCreate(
            descriptor: CFStringRef,
            trustedlist: CFArrayRef,
            accessRef: *mut SecAccessRef,
        ) -> OSStatus;
        pub fn SecKeychainGetStatus(keychain: SecKeychainRef, keychainStatus: *mut u32)
        -> OSStatus;
    }
}

// OSStatus codes (SecBase.h, MacErrors.h) that security-framework-sys does not declare.
const ERR_USER_CANCELED: OSStatus = -128;
const ERR_NOT_AVAILABLE: OSStatus = -25291;
const ERR_NO_SUCH_KEYCHAIN: OSStatus = -25294;
const ERR_DUPLICATE_KEYCHAIN: OSStatus = -25296;
const ERR_NO_DEFAULT_KEYCHAIN: OSStatus = -25307;
const ERR_INTERACTION_NOT_ALLOWED: OSStatus = -25308;
const ERR_INTERACTION_REQUIRED: OSStatus = -25315;

/// Which programs may read a newly created item without macOS asking the user.
///
/// aws-vault sets `KeychainTrustApplication: true`, so by default the program that writes an
/// item is trusted — but it writes long-lived credentials with `KeychainNotTrustApplication`,
/// so that macOS asks every time they are read. Use [`ItemAccess::AlwaysAsk`] for those.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ItemAccess {
    /// The writing program reads the item without a prompt; any other program makes macOS ask.
    /// aws-vault's choice for cached sessions and SSO/OIDC tokens.
    #[default]
    TrustThisProgram,
    /// No program is trusted: macOS asks every time the item is read. aws-vault's choice for
    /// long-lived credentials (access keys).
    AlwaysAsk,
}

/// Where to look for items.
enum Scope {
    /// The user's keychain search list (no keychain name).
    DefaultList,
    /// One keychain file.
    File(SecKeychain),
}

/// A set of generic-password items with one service name in one keychain, as aws-vault keeps
/// them.
#[derive(Debug)]
pub struct Keychain {
    service: String,
    /// `<name>.keychain`, or `None` for the default search list.
    path: Option<CString>,
    /// The keychain name as given, for messages.
    name: String,
}

impl Keychain {
    /// The items of `service` in the keychain named `keychain_name` (aws-vault uses
    /// `"aws-vault"` for both); an empty `keychain_name` means the user's default keychain.
    ///
    /// Opening touches nothing on disk. A missing keychain reads as empty and is created, with
    /// macOS asking the user for its password, by the first [`set`](Self::set) — when aws-vault
    /// creates it.
    pub fn open(keychain_name: &str, service: &str) -> Result<Self, StoreError> {
        check_service(service)?;
        let path = match keychain_file_name(keychain_name)? {
            None => None,
            Some(file) => Some(CString::new(file).map_err(|_| StoreError::InvalidInput {
                what: "keychain name",
                reason: "it contains a NUL character",
            })?),
        };
        Ok(Self {
            service: service.to_owned(),
            path,
            name: keychain_name.to_owned(),
        })
    }

    /// The item stored under `key`, or `None` when there is none (or the keychain does not exist
    /// yet). macOS may ask the user to unlock the keychain or to allow access.
    pub fn get(&self, key: &str) -> Result<Option<StoredItem>, StoreError> {
        const OP: &str = "read the item";
        check_key(key)?;
        let Some(scope) = self.existing_scope()? else {
            return Ok(None);
        };
        let mut query = self.item_query(Some(key));
        query.search_in(&scope);
        query.put(
            unsafe { kSecMatchLimit },
            static_string(unsafe { ffi::kSecMatchLimitOne }),
        );
        query.put(
            unsafe { kSecReturnAttributes },
            CFBoolean::true_value().into_CFType(),
        );
        query.put(
            unsafe { kSecReturnData },
            CFBoolean::true_value().into_CFType(),
        );

        let Some(found) = copy_matching(&query).map_err(|code| self.error(code, OP))? else {
            return Ok(None);
        };
        let attrs = found
            .downcast_into::<CFDictionary>()
            .ok_or(StoreError::Unexpected {
                store: STORE,
                op: OP,
                detail: "the search result is not a dictionary",
            })?;
        let data = match attr(&attrs, unsafe { kSecValueData }) {
            None => Zeroizing::new(Vec::new()),
            Some(value) => {
                let data = value
                    .downcast_into::<CFData>()
                    .ok_or(StoreError::Unexpected {
                        store: STORE,
                        op: OP,
                        detail: "the item's data is not a data object",
                    })?;
                Zeroizing::new(data.bytes().to_vec())
            }
        };
        Ok(Some(StoredItem {
            key: key.to_owned(),
            data,
            label: string_attr(&attrs, unsafe { kSecAttrLabel }),
            description: string_attr(&attrs, unsafe { kSecAttrDescription }),
        }))
    }

    /// Stores `item`, replacing any item with the same key; a new item trusts this program
    /// ([`ItemAccess::TrustThisProgram`], aws-vault's default).
    pub fn set(&self, item: &StoredItem) -> Result<(), StoreError> {
        self.set_with_access(item, ItemAccess::TrustThisProgram)
    }

    /// Stores `item`, replacing any item with the same key. `access` applies when the item is
    /// created; replacing an existing item keeps its access control, as aws-vault does.
    /// Creates the keychain first when it does not exist (macOS asks for its new password).
    pub fn set_with_access(&self, item: &StoredItem, access: ItemAccess) -> Result<(), StoreError> {
        check_key(&item.key)?;
        let scope = self.writable_scope()?;
        // Lend CF a wiped-on-release copy rather than let it copy the secret into its heap.
        let data = CFData::from_arc(Arc::new(item.data.clone()));

        let mut add = self.item_query(Some(&item.key));
        put_text(&mut add, unsafe { kSecAttrLabel }, &item.label);
        put_text(&mut add, unsafe { kSecAttrDescription }, &item.description);
        add.put(unsafe { kSecValueData }, data.as_CFType());
        if let Scope::File(keychain) = &scope {
            add.put(unsafe { kSecUseKeychain }, keychain.as_CFType());
        }
        let sec_access = create_access(&item.label, access)
            .map_err(|code| self.error(code, "create the item's access control"))?;
        add.put(unsafe { ffi::kSecAttrAccess }, sec_access.as_CFType());

        let status = unsafe { SecItemAdd(add.build().as_concrete_TypeRef(), ptr::null_mut()) };
        if status == errSecSuccess {
            return Ok(());
        }
        if status != errSecDuplicateItem {
            return Err(self.error(status, "add the item"));
        }

        // The item exists: replace its label, description and data, not its access control.
        let mut query = self.item_query(Some(&item.key));
        query.search_in(&scope);
        let mut update = Dict::default();
        put_text(&mut update, unsafe { kSecAttrLabel }, &item.label);
        put_text(
            &mut update,
            unsafe { kSecAttrDescription },
            &item.description,
        );
        update.put(unsafe { kSecValueData }, data.as_CFType());
        let status = unsafe {
            SecItemUpdate(
                query.build().as_concrete_TypeRef(),
                update.build().as_concrete_TypeRef(),
            )
        };
        if status == errSecSuccess {
            Ok(())
        } else {
            Err(self.error(status, "update the item"))
        }
    }

    /// Removes the item stored under `key`; `false` when there was none.
    pub fn remove(&self, key: &str) -> Result<bool, StoreError> {
        check_key(key)?;
        let Some(scope) = self.existing_scope()? else {
            return Ok(false);
        };
        let mut query = self.item_query(Some(key));
        query.search_in(&scope);
        match unsafe { SecItemDelete(query.build().as_concrete_TypeRef()) } {
            s if s == errSecSuccess => Ok(true),
            s if s == errSecItemNotFound => Ok(false),
            s => Err(self.error(s, "remove the item")),
        }
    }

    /// The keys of all items of this service, sorted. Lists attributes only, so macOS does not
    /// ask for access to each item (it may ask to unlock the keychain).
    pub fn keys(&self) -> Result<Vec<String>, StoreError> {
        const OP: &str = "list the items";
        let Some(scope) = self.existing_scope()? else {
            return Ok(Vec::new());
        };
        let mut query = self.item_query(None);
        query.search_in(&scope);
        query.put(
            unsafe { kSecMatchLimit },
            static_string(unsafe { kSecMatchLimitAll }),
        );
        query.put(
            unsafe { kSecReturnAttributes },
            CFBoolean::true_value().into_CFType(),
        );

        let Some(found) = copy_matching(&query).map_err(|code| self.error(code, OP))? else {
            return Ok(Vec::new());
        };
        let unexpected = StoreError::Unexpected {
            store: STORE,
            op: OP,
            detail: "a search result is not a dictionary",
        };
        let dicts: Vec<CFDictionary> = if let Some(array) = found.downcast::<CFArray>() {
            let mut dicts = Vec::new();
            for value in array.iter() {
                let value = unsafe { CFType::wrap_under_get_rule(*value) };
                match value.downcast_into::<CFDictionary>() {
                    Some(dict) => dicts.push(dict),
                    None => return Err(unexpected),
                }
            }
            dicts
        } else {
            vec![found.downcast_into::<CFDictionary>().ok_or(unexpected)?]
        };
        let mut keys: Vec<String> = dicts
            .iter()
            .map(|attrs| string_attr(attrs, unsafe { kSecAttrAccount }))
            .filter(|key| !key.is_empty())
            .collect();
        keys.sort();
        keys.dedup();
        Ok(keys)
    }

    /// The class, service and (when given) account that select this store's items.
    fn item_query(&self, key: Option<&str>) -> Dict {
        let mut dict = Dict::default();
        dict.put(
            unsafe { kSecClass },
            static_string(unsafe { kSecClassGenericPassword }),
        );
        dict.put(
            unsafe { kSecAttrService },
            CFString::new(&self.service).into_CFType(),
        );
        if let Some(key) = key {
            dict.put(unsafe { kSecAttrAccount }, CFString::new(key).into_CFType());
        }
        dict
    }

    /// Where to read from, or `None` when the keychain file does not exist.
    fn existing_scope(&self) -> Result<Option<Scope>, StoreError> {
        let Some(path) = &self.path else {
            return Ok(Some(Scope::DefaultList));
        };
        let keychain = self.open_file(path)?;
        Ok(self.exists(&keychain)?.then_some(Scope::File(keychain)))
    }

    /// Where to write to, creating the keychain file when it does not exist.
    fn writable_scope(&self) -> Result<Scope, StoreError> {
        let Some(path) = &self.path else {
            return Ok(Scope::DefaultList);
        };
        let keychain = self.open_file(path)?;
        if self.exists(&keychain)? {
            return Ok(Scope::File(keychain));
        }
        let mut created: SecKeychainRef = ptr::null_mut();
        // No password given and `promptUser` set: macOS asks the user for the new keychain's
        // password, as aws-vault's keychain creation does.
        let status = unsafe {
            SecKeychainCreate(
                path.as_ptr(),
                0,
                ptr::null(),
                1,
                ptr::null_mut(),
                &raw mut created,
            )
        };
        if status == ERR_DUPLICATE_KEYCHAIN {
            // Created meanwhile by another process.
            return Ok(Scope::File(self.open_file(path)?));
        }
        if status != errSecSuccess {
            return Err(self.error(status, "create the keychain"));
        }
        if created.is_null() {
            return Err(StoreError::Unexpected {
                store: STORE,
                op: "create the keychain",
                detail: "no keychain was returned",
            });
        }
        Ok(Scope::File(unsafe {
            SecKeychain::wrap_under_create_rule(created)
        }))
    }

    /// A reference to the keychain file; succeeds whether or not the file exists.
    fn open_file(&self, path: &CString) -> Result<SecKeychain, StoreError> {
        let mut keychain: SecKeychainRef = ptr::null_mut();
        let status = unsafe { SecKeychainOpen(path.as_ptr(), &raw mut keychain) };
        if status != errSecSuccess {
            return Err(self.error(status, "open the keychain"));
        }
        if keychain.is_null() {
            return Err(StoreError::Unexpected {
                store: STORE,
                op: "open the keychain",
                detail: "no keychain was returned",
            });
        }
        Ok(unsafe { SecKeychain::wrap_under_create_rule(keychain) })
    }

    /// Whether the keychain file exists.
    fn exists(&self, keychain: &SecKeychain) -> Result<bool, StoreError> {
        let mut status_bits = 0u32;
        match unsafe {
            ffi::SecKeychainGetStatus(keychain.as_concrete_TypeRef(), &raw mut status_bits)
        } {
            s if s == errSecSuccess => Ok(true),
            ERR_NO_SUCH_KEYCHAIN => Ok(false),
            s => Err(self.error(s, "check the keychain")),
        }
    }

    /// The keychain name as users type it, for messages.
    fn shown_name(&self) -> &str {
        if self.name.is_empty() {
            "login"
        } else {
            &self.name
        }
    }

    /// The error for a failed Security framework call.
    fn error(&self, code: OSStatus, op: &'static str) -> StoreError {
        let name = self.shown_name();
        match code {
            ERR_USER_CANCELED => StoreError::UserCanceled { store: STORE },
            c if c == errSecAuthFailed => StoreError::Denied {
                store: STORE,
                hint: format!(
                    "the password for keychain \"{name}\" was wrong, or access was not allowed; \
                     run the command again and allow access when macOS asks (\"Always Allow\" \
                     stops further prompts), or check the item's Access Control in Keychain Access"
                ),
            },
            ERR_INTERACTION_NOT_ALLOWED | ERR_INTERACTION_REQUIRED => StoreError::Locked {
                store: STORE,
                hint: format!(
                    "unlock it first with `security unlock-keychain {}` (or from a desktop \
                     session), then retry",
                    self.path.as_ref().map_or_else(
                        || "login.keychain".to_owned(),
                        |p| p.to_string_lossy().into_owned()
                    )
                ),
            },
            ERR_NOT_AVAILABLE | ERR_NO_DEFAULT_KEYCHAIN => StoreError::NotAvailable {
                store: STORE,
                reason: format!(
                    "no keychain is available to this process (OS error {code}); run it in a \
                     logged-in macOS user session, or use another backend"
                ),
            },
            ERR_NO_SUCH_KEYCHAIN => StoreError::NotAvailable {
                store: STORE,
                reason: format!(
                    "the keychain \"{name}\" disappeared while in use (OS error {code}); retry"
                ),
            },
            _ => StoreError::Os {
                store: STORE,
                op,
                code: i64::from(code),
                message: security_framework::base::Error::from_code(code)
                    .message()
                    .unwrap_or_else(|| "unknown Security framework error".to_owned()),
            },
        }
    }
}

/// A query or attribute dictionary under construction.
#[derive(Default)]
struct Dict(Vec<(CFString, CFType)>);

impl Dict {
    /// Sets `key` (one of the framework's constant keys) to `value`.
    fn put(&mut self, key: CFStringRef, value: CFType) {
        let key = static_cf_string(key);
        self.0.retain(|(k, _)| k != &key);
        self.0.push((key, value));
    }

    /// Restricts a query to `scope`.
    fn search_in(&mut self, scope: &Scope) {
        if let Scope::File(keychain) = scope {
            let list = CFArray::from_CFTypes(std::slice::from_ref(keychain));
            self.put(unsafe { kSecMatchSearchList }, list.into_CFType());
        }
    }

    fn build(&self) -> CFDictionary<CFString, CFType> {
        CFDictionary::from_CFType_pairs(&self.0)
    }
}

/// Sets a text attribute, leaving it out when empty (as keyring does).
fn put_text(dict: &mut Dict, key: CFStringRef, value: &str) {
    if !value.is_empty() {
        dict.put(key, CFString::new(value).into_CFType());
    }
}

/// One of the framework's constant strings, retained.
fn static_cf_string(s: CFStringRef) -> CFString {
    // SAFETY: the Security framework's constants are valid, immortal CFStrings.
    unsafe { CFString::wrap_under_get_rule(s) }
}

fn static_string(s: CFStringRef) -> CFType {
    static_cf_string(s).into_CFType()
}

/// Runs `SecItemCopyMatching`; `Ok(None)` when nothing matches.
fn copy_matching(query: &Dict) -> Result<Option<CFType>, OSStatus> {
    let query = query.build();
    let mut result: CFTypeRef = ptr::null();
    let status = unsafe { SecItemCopyMatching(query.as_concrete_TypeRef(), &raw mut result) };
    if status == errSecItemNotFound {
        return Ok(None);
    }
    if status != errSecSuccess {
        return Err(status);
    }
    if result.is_null() {
        return Ok(None);
    }
    // SAFETY: SecItemCopyMatching follows the create rule: the result is ours to release.
    Ok(Some(unsafe { CFType::wrap_under_create_rule(result) }))
}

/// The value of attribute `key` in a search result.
fn attr(attrs: &CFDictionary, key: CFStringRef) -> Option<CFType> {
    attrs
        .find(key.cast::<std::ffi::c_void>())
        // SAFETY: values of a CFDictionary are CF objects it keeps alive; we retain our own.
        .map(|value| unsafe { CFType::wrap_under_get_rule(*value) })
}

/// A text attribute of a search result; empty when absent or not text.
fn string_attr(attrs: &CFDictionary, key: CFStringRef) -> String {
    attr(attrs, key)
        .and_then(CFType::downcast_into::<CFString>)
        .map(|s| s.to_string())
        .unwrap_or_default()
}

/// An access object labelled `label` for a new item.
fn create_access(label: &str, access: ItemAccess) -> Result<SecAccess, OSStatus> {
    let descriptor = CFString::new(label);
    let nobody: CFArray<CFType> = CFArray::from_CFTypes(&[]);
    // A NULL trusted-application list makes the default access object, which trusts the calling
    // program; an empty list trusts no program, so every read asks the user.
    let trusted = match access {
        ItemAccess::TrustThisProgram => ptr::null(),
        ItemAccess::AlwaysAsk => nobody.as_concrete_TypeRef(),
    };
    let mut created: SecAccessRef = ptr::null_mut();
    let status = unsafe {
        ffi::SecAccessCreate(descriptor.as_concrete_TypeRef(), trusted, &raw mut created)
    };
    if status != errSecSuccess {
        return Err(status);
    }
    if created.is_null() {
        return Err(security_framework_sys::base::errSecParam);
    }
    // SAFETY: SecAccessCreate follows the create rule.
    Ok(unsafe { SecAccess::wrap_under_create_rule(created) })
}
