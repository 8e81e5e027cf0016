/**
 * Deep copy of JSON-shaped values (what API objects are). Several times faster than
 * structuredClone for small objects in Node 20, which matters because defaulting copies
 * every request body. Values that are not plain JSON (Dates, Maps, class instances) are
 * copied by reference; API objects never contain them.
 */
export function cloneJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    // `__proto__` as an own key (possible from JSON.parse) must stay data, not become a prototype.
    if (key === '__proto__')
      Object.defineProperty(copy, key, {
        value: cloneJson((value as Record<string, unknown>)[key]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else copy[key] = cloneJson((value as Record<string, unknown>)[key]);
  }
  return copy as T;
}
