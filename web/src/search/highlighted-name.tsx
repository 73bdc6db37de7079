/**
 * A name with its matched terms in <em>, from search's highlightedName. It is split into text
 * and <em> pieces here, never parsed as HTML, so nothing else in it can become markup.
 */
export function HighlightedName({ html }: { html: string }) {
  const decode = (text: string) => {
    // A textarea takes its content as text with character references: markup in it stays text, spaces stay.
    const area = document.createElement('textarea');
    area.innerHTML = text;
    return area.value;
  };
  const pieces = html.split(/(<em>[\s\S]*?<\/em>)/);
  return (
    <>
      {pieces.map((piece, index) =>
        piece.startsWith('<em>') && piece.endsWith('</em>') ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: the pieces of one name never move.
          <mark key={index}>{decode(piece.slice(4, -5))}</mark>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: as above.
          <span key={index}>{decode(piece)}</span>
        ),
      )}
    </>
  );
}
