// The schema document as JSON for power users, checked as they type (syntax, meta-schema, x-xrm).
import { json } from '@codemirror/lang-json';
import { linter, lintGutter, type Diagnostic } from '@codemirror/lint';
import { EditorView } from '@codemirror/view';
import CodeMirror from '@uiw/react-codemirror';
import { useMemo } from 'react';
import { checkSchemaText, type SchemaDiagnostic } from './schemaCheck';

interface Props {
  value: string;
  onChange: (text: string) => void;
  problems: SchemaDiagnostic[];
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}

const schemaLinter = linter(
  (view): Diagnostic[] =>
    checkSchemaText(view.state.doc.toString()).map((d) => ({
      from: Math.min(d.from, view.state.doc.length),
      to: Math.min(d.to, view.state.doc.length),
      severity: 'error',
      message: d.message,
    })),
  { delay: 300 },
);

export function RawSchemaEditor({ value, onChange, problems }: Props) {
  const problemCount = problems.length;
  const extensions = useMemo(
    () => [json(), schemaLinter, lintGutter(), EditorView.lineWrapping, EditorView.contentAttributes.of({ 'aria-label': 'JSON Schema document' })],
    [],
  );
  return (
    <section className="card" aria-labelledby="raw-heading">
      <div className="section-header">
        <h2 id="raw-heading">JSON Schema</h2>
        <span className={problemCount ? 'error-text' : 'muted'} role="status" data-testid="schema-status">
          {problemCount ? `${problemCount} problem${problemCount === 1 ? '' : 's'}` : 'Valid'}
        </span>
      </div>
      <CodeMirror value={value} onChange={onChange} extensions={extensions} height="60vh" basicSetup={{ foldGutter: true, highlightActiveLine: true }} />
      {problemCount > 0 && (
        <ul className="schema-problems" aria-label="Problems">
          {problems.slice(0, 20).map((problem, index) => (
            <li key={index}>
              <span className="muted">line {lineOf(value, problem.from)}:</span> {problem.message}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
