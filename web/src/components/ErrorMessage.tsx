import { toApiErrors, describeApiError } from '../api/api-error';

export interface ErrorMessageProps {
  /** A CombinedError, an Error, ApiError(s) or nothing (renders nothing). */
  error: unknown;
  /** Prefix naming what failed, e.g. "Could not move the task". */
  context?: string;
  id?: string;
}

/** Shows every API error as readable text, announced to screen readers (`role="alert"`). */
export function ErrorMessage({ error, context, id }: ErrorMessageProps) {
  const errors = toApiErrors(error);
  if (errors.length === 0) return null;
  return (
    <div role="alert" className="error" id={id}>
      {context ? <strong>{context}. </strong> : null}
      {errors.length === 1 && errors[0] ? (
        <span data-code={errors[0].code}>{describeApiError(errors[0])}</span>
      ) : (
        <ul>
          {errors.map((e, i) => (
            <li key={i} data-code={e.code}>
              {describeApiError(e)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
