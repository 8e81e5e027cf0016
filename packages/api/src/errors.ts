/**
 * Typed errors thrown by the parsers of this package (quantities, label and field
 * selectors). Each carries a stable `code` so callers branch on it, never on the message;
 * the API server turns them into a 400 BadRequest Status.
 */

/** Stable codes of errors this package throws. */
export type ApiErrorCode =
  | 'NAVARCH_ERR_QUANTITY_INVALID'
  | 'NAVARCH_ERR_QUANTITY_OUT_OF_RANGE'
  | 'NAVARCH_ERR_LABEL_SELECTOR_INVALID'
  | 'NAVARCH_ERR_FIELD_SELECTOR_INVALID'
  | 'NAVARCH_ERR_FIELD_SELECTOR_UNSUPPORTED';

/** Base class of every error @navarch/api throws on bad input. */
export class NavarchApiError extends Error {
  /** Stable machine-readable code. */
  readonly code: ApiErrorCode;
  constructor(code: ApiErrorCode, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A string is not a Kubernetes quantity, or is beyond the supported range. */
export class QuantityError extends NavarchApiError {
  /** The input that failed to parse. */
  readonly input: string;
  constructor(
    code: 'NAVARCH_ERR_QUANTITY_INVALID' | 'NAVARCH_ERR_QUANTITY_OUT_OF_RANGE',
    input: string,
    message: string,
  ) {
    super(code, message);
    this.input = input;
  }
}

/** A label selector string or LabelSelector object is malformed. */
export class LabelSelectorError extends NavarchApiError {
  /** The selector text (or a rendering of the object) that failed. */
  readonly selector: string;
  constructor(selector: string, message: string) {
    super('NAVARCH_ERR_LABEL_SELECTOR_INVALID', message);
    this.selector = selector;
  }
}

/** A field selector is malformed, or names a field the resource cannot be selected by. */
export class FieldSelectorError extends NavarchApiError {
  readonly selector: string;
  constructor(
    code: 'NAVARCH_ERR_FIELD_SELECTOR_INVALID' | 'NAVARCH_ERR_FIELD_SELECTOR_UNSUPPORTED',
    selector: string,
    message: string,
  ) {
    super(code, message);
    this.selector = selector;
  }
}
