/** Whether `id` can be an auto-increment row id; anything else names no row and must not reach SQL (PostgreSQL refuses to cast it). */
export const isRowId = (id: string): boolean => /^[1-9]\d{0,17}$/.test(id);
