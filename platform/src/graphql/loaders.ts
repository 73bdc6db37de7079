import DataLoader from 'dataloader';

/** Per-request DataLoaders, created on first use, so each `_entities` call or tree costs one query. */
export class Loaders {
  private readonly byName = new Map<string, DataLoader<string, unknown>>();

  get<V>(name: string, batch: (keys: readonly string[]) => Promise<Map<string, V>>): DataLoader<string, V | undefined> {
    let loader = this.byName.get(name) as DataLoader<string, V | undefined> | undefined;
    if (!loader) {
      loader = new DataLoader<string, V | undefined>(async (keys) => {
        const found = await batch(keys);
        return keys.map((key) => found.get(key));
      });
      this.byName.set(name, loader as DataLoader<string, unknown>);
    }
    return loader;
  }
}
