// The allowed moves of a choice field: a from × to matrix of checkboxes, and the initial states.
import { useId } from 'react';
import type { StateMachine } from '../api/types';
import { defaultStateMachine, syncStateMachine, type TypeModel } from './typeModel';

interface Props {
  model: TypeModel;
  onChange: (model: TypeModel) => void;
}

export function StateMachineEditor({ model, onChange }: Props) {
  const id = useId();
  const choices = model.fields.filter((f) => f.kind === 'choice');
  const machine = model.stateMachine;
  const stateField = machine ? model.fields.find((f) => f.name === machine.field) : undefined;
  const states = stateField?.enumValues ?? [];
  const synced = machine && stateField ? syncStateMachine(machine, states) : machine;
  const setMachine = (stateMachine: StateMachine | null) => onChange({ ...model, stateMachine });

  const chooseField = (name: string) => {
    const field = choices.find((f) => f.name === name);
    setMachine(field ? defaultStateMachine(field) : null);
  };
  const toggleMove = (from: string, to: string) => {
    if (!synced) return;
    const moves = synced.transitions[from] ?? [];
    const next = moves.includes(to) ? moves.filter((s) => s !== to) : [...moves, to];
    setMachine({ ...synced, transitions: { ...synced.transitions, [from]: states.filter((s) => next.includes(s)) } });
  };
  const toggleInitial = (state: string) => {
    if (!synced) return;
    const initial = synced.initial ?? [];
    const next = initial.includes(state) ? initial.filter((s) => s !== state) : [...initial, state];
    const { initial: _old, ...rest } = synced;
    setMachine(next.length ? { ...rest, initial: states.filter((s) => next.includes(s)) } : rest);
  };

  return (
    <section className="card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>State transitions</h2>
      <div className="form-row">
        <label htmlFor={`${id}-field`}>State field</label>
        <select id={`${id}-field`} className="form-control" value={machine?.field ?? ''} onChange={(e) => chooseField(e.target.value)}>
          <option value="">none: any value may follow any other</option>
          {choices.map((f) => (
            <option key={f.name} value={f.name}>
              {f.name}
            </option>
          ))}
        </select>
        {choices.length === 0 && <p className="help-block">Add a choice field (e.g. status) to define its transitions.</p>}
      </div>
      {synced && states.length > 0 && (
        <div className="table-scroll">
          <table className="table matrix">
            <caption className="visually-hidden">Allowed moves: from the row’s state to the column’s</caption>
            <thead>
              <tr>
                <th scope="col">From \ to</th>
                {states.map((s) => (
                  <th scope="col" key={s}>
                    {s}
                  </th>
                ))}
                <th scope="col">Initial</th>
              </tr>
            </thead>
            <tbody>
              {states.map((from) => (
                <tr key={from}>
                  <th scope="row">{from}</th>
                  {states.map((to) => (
                    <td key={to}>
                      {from !== to && (
                        <input
                          type="checkbox"
                          aria-label={`${from} may move to ${to}`}
                          checked={synced.transitions[from]?.includes(to) ?? false}
                          onChange={() => toggleMove(from, to)}
                        />
                      )}
                    </td>
                  ))}
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`a new record may start as ${from}`}
                      checked={synced.initial?.includes(from) ?? false}
                      onChange={() => toggleInitial(from)}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="help-block">No initial state ticked: a new record may start in any state.</p>
        </div>
      )}
    </section>
  );
}
