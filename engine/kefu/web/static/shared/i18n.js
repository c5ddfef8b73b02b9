// English and Chinese UI text. The language is, in order: the user's choice (remembered),
// the page's data-kefu-lang, the browser's language.

const STORAGE_KEY = "kefu.lang";
export const LANGUAGES = ["en", "zh"];

export function detectLanguage(preferred) {
  let stored = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage can be disabled (private mode, sandboxed frames): fall through.
  }
  for (const candidate of [stored, preferred, navigator.language]) {
    if (!candidate) continue;
    const short = String(candidate).toLowerCase().slice(0, 2);
    if (LANGUAGES.includes(short)) return short;
  }
  return "en";
}

export function rememberLanguage(lang) {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Not remembered; the switch still applies to this page.
  }
}

/**
 * A translator over `messages` ({en: {...}, zh: {...}}); t("key", {n: 3}) fills {n}.
 * Missing keys fall back to English, then to the key itself.
 */
export function translator(messages, initial) {
  let lang = initial;
  const listeners = new Set();
  const t = (key, vars = {}) => {
    const text = (messages[lang] && messages[lang][key]) ?? messages.en[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
  };
  t.lang = () => lang;
  t.set = (next) => {
    lang = next;
    rememberLanguage(next);
    listeners.forEach((fn) => fn(next));
  };
  t.onChange = (fn) => listeners.add(fn);
  return t;
}

/** Fills elements marked data-i18n / data-i18n-placeholder / data-i18n-label under root. */
export function applyText(root, t) {
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll("[data-i18n-placeholder]")) {
    node.setAttribute("placeholder", t(node.dataset.i18nPlaceholder));
  }
  for (const node of root.querySelectorAll("[data-i18n-label]")) {
    node.setAttribute("aria-label", t(node.dataset.i18nLabel));
  }
}
