/* What a failed write to the device's storage means for the user. Pure: no page, no storage
   (unit-tested under Node). The browser reports IndexedDB and WebCrypto failures as
   DOMExceptions with a `name` and an English `message`; the user is shown the app's own
   text for that name, in the chosen language, with advice, never the browser's text. */

// DOMException name -> the key of the app's string (templates/offline/app.html).
const STORAGE_ERRORS = {
  QuotaExceededError: "storage_quota",
  InvalidStateError: "storage_closed",
  TransactionInactiveError: "storage_closed",
  AbortError: "storage_aborted",
  UnknownError: "storage_unknown",
  NotFoundError: "storage_broken",
  VersionError: "storage_version",
  NotReadableError: "storage_broken",
  DataError: "storage_broken",
  DataCloneError: "storage_broken",
  ConstraintError: "storage_broken",
  ReadOnlyError: "storage_broken",
  SecurityError: "storage_denied",
  NotAllowedError: "storage_denied",
  OperationError: "storage_crypto",
  InvalidAccessError: "storage_crypto",
};

/** The string key explaining `error` (an Error or DOMException, or anything thrown). An
    error the app made itself with a ready text (`userMessage`) keeps that text: the caller
    shows `error.userMessage`. Anything unknown gets the general advice. */
export function storageErrorKey(error) {
  const name = error && typeof error === "object" ? error.name : "";
  return STORAGE_ERRORS[name] || "storage_unknown";
}

/** Every string key storageErrorKey() can answer (the page must have them all). */
export function storageErrorKeys() {
  return Array.from(new Set([...Object.values(STORAGE_ERRORS), "storage_unknown"]));
}
