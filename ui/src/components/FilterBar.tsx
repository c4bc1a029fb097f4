// Filter inputs. Text fields apply after a short pause in typing, because a
// filter change rescans every stored connection.
import { useEffect, useRef, useState } from 'react';
import { EMPTY_FILTER, OUTCOME_OPTIONS, PROTO_OPTIONS, type FilterKey, type FilterText } from '../model/filter.js';

interface Props {
  value: FilterText;
  errors: Partial<Record<FilterKey, string>>;
  onChange: (f: FilterText) => void;
}

const TEXT_FIELDS: { key: FilterKey; label: string; placeholder: string; width: number; mono?: boolean }[] = [
  { key: 'pid', label: 'pid', placeholder: '1234', width: 70, mono: true },
  { key: 'comm', label: 'process', placeholder: 'curl', width: 110 },
  { key: 'src', label: 'source', placeholder: '10.0.0.0/8', width: 170, mono: true },
  { key: 'dst', label: 'destination', placeholder: '2001:db8::/32', width: 170, mono: true },
  { key: 'port', label: 'port', placeholder: '443', width: 64, mono: true },
];

export function FilterBar({ value, errors, onChange }: Props) {
  const [draft, setDraft] = useState(value);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => setDraft(value), [value]);
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);

  const set = (key: FilterKey, v: string, immediate: boolean): void => {
    const next = { ...draft, [key]: v };
    setDraft(next);
    if (timer.current) clearTimeout(timer.current);
    if (immediate) onChange(next);
    else timer.current = setTimeout(() => onChange(next), 250);
  };

  const anySet = Object.values(draft).some((v) => v.trim() !== '');

  return (
    <form className="filters" data-testid="filters" onSubmit={(e) => { e.preventDefault(); onChange(draft); }}>
      {TEXT_FIELDS.map((f) => (
        <label key={f.key} className={errors[f.key] ? 'invalid' : undefined} title={errors[f.key]}>
          <span>{f.label}</span>
          <input
            data-testid={`filter-${f.key}`}
            className={f.mono ? 'mono' : undefined}
            style={{ width: f.width }}
            value={draft[f.key]}
            placeholder={f.placeholder}
            aria-invalid={errors[f.key] ? true : undefined}
            spellCheck={false}
            onChange={(e) => set(f.key, e.target.value, false)}
          />
        </label>
      ))}
      <label>
        <span>protocol</span>
        <select data-testid="filter-proto" value={draft.proto} onChange={(e) => set('proto', e.target.value, true)}>
          <option value="">any</option>
          {PROTO_OPTIONS.map((p) => <option key={p} value={p}>{p}</option>)}
        </select>
      </label>
      <label>
        <span>outcome</span>
        <select data-testid="filter-outcome" value={draft.outcome} onChange={(e) => set('outcome', e.target.value, true)}>
          <option value="">any</option>
          {OUTCOME_OPTIONS.map((o) => <option key={o} value={o}>{o === 'failed' ? 'any failure' : o}</option>)}
        </select>
      </label>
      <button type="button" data-testid="filter-clear" disabled={!anySet} onClick={() => { setDraft(EMPTY_FILTER); onChange(EMPTY_FILTER); }}>
        Clear
      </button>
      {Object.keys(errors).length > 0 ? (
        <span className="filter-error" data-testid="filter-error">
          {Object.entries(errors).map(([k, v]) => `${k}: ${v}`).join(' · ')} (ignored)
        </span>
      ) : null}
    </form>
  );
}
