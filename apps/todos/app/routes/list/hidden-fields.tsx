import { CsrfField } from '../../components/tenant-data';

/** The hidden fields of a form that also works without JavaScript, plus its CSRF token. */
export function HiddenFields({ fields }: { fields: Record<string, string> }) {
  return (
    <>
      {Object.entries(fields).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <CsrfField />
    </>
  );
}
