// Install a package from an uploaded archive, or upgrade the installed one of the same name.
import { useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState } from 'react';
import { toast } from 'sonner';
import { installPackage, upgradePackage } from '../api/endpoints';
import { ApiError, errorMessage } from '../api/problem';
import { keys } from '../api/queries';
import type { Package } from '../api/types';

export function InstallPackage({ installed }: { installed: Package[] }) {
  const queryClient = useQueryClient();
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string[]>([]);
  const [upgradable, setUpgradable] = useState<{ file: File; name: string } | null>(null);
  const [sampleData, setSampleData] = useState(false);

  const done = async (pkg: Package, verb: string) => {
    await queryClient.invalidateQueries({ queryKey: keys.packages });
    await queryClient.invalidateQueries({ queryKey: keys.entityTypes });
    toast.success(`${pkg.name} ${pkg.version} ${verb}`);
    setUpgradable(null);
    if (input.current) input.current.value = '';
  };

  const install = async (file: File) => {
    setBusy(true);
    setError([]);
    try {
      await done(await installPackage(file, { sampleData }), sampleData ? 'installed with its sample data' : 'installed');
    } catch (caught) {
      const name = /package '([^']+)'/.exec(errorMessage(caught))?.[1] ?? installed.find((p) => file.name.startsWith(p.name))?.name;
      if (caught instanceof ApiError && caught.code === 'package_exists' && name) setUpgradable({ file, name });
      setError(caught instanceof ApiError ? [caught.message, ...caught.problem.errors.map((e) => `${e.path}: ${e.message}`)] : [errorMessage(caught)]);
    } finally {
      setBusy(false);
    }
  };

  const upgrade = async () => {
    if (!upgradable) return;
    setBusy(true);
    setError([]);
    try {
      await done(await upgradePackage(upgradable.name, upgradable.file), 'upgraded');
    } catch (caught) {
      setError([errorMessage(caught)]);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card install" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Install a package</h2>
      <div className="form-row">
        <label htmlFor={`${id}-file`}>Package archive (.tar of a package directory)</label>
        <input
          ref={input}
          id={`${id}-file`}
          type="file"
          accept=".tar,application/x-tar"
          disabled={busy}
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) install(file);
          }}
        />
      </div>
      <div className="form-row checkbox">
        <label>
          <input type="checkbox" checked={sampleData} disabled={busy} onChange={(e) => setSampleData(e.target.checked)} /> Also load the
          package's sample data
        </label>
      </div>
      {busy && <p role="status">Uploading…</p>}
      {error.length > 0 && (
        <div className="notice error" role="alert">
          {error.map((e) => (
            <p key={e}>{e}</p>
          ))}
          {upgradable && (
            <button type="button" className="button primary" onClick={upgrade} disabled={busy}>
              Upgrade {upgradable.name} to this archive
            </button>
          )}
        </div>
      )}
    </section>
  );
}
