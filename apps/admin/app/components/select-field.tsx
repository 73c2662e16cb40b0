export interface Choice {
  readonly value: string;
  readonly label?: string;
}

/** A labelled select, optionally with a leading "any"-style empty choice: the filters' building block. */
export function SelectField(props: { label: string; name: string; choices: readonly Choice[]; defaultValue?: string; empty?: string }) {
  return (
    <label>
      {props.label}
      <select name={props.name} defaultValue={props.defaultValue ?? ''}>
        {props.empty !== undefined && <option value="">{props.empty}</option>}
        {props.choices.map((choice) => (
          <option key={choice.value} value={choice.value}>
            {choice.label ?? choice.value}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Choices of plain values. */
export const choicesOf = (values: readonly string[]): Choice[] => values.map((value) => ({ value }));

/** Regions, labelled with their jurisdiction so the placement rule stays visible. */
export const regionChoices = (regions: readonly { id: string; jurisdiction: string }[]): Choice[] =>
  regions.map((region) => ({ value: region.id, label: `${region.id} (${region.jurisdiction})` }));
