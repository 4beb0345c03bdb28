using System.Text;

namespace Distill.Shared.Data;

/// <summary>
/// Streams the documents of a corpus (<see cref="CorpusFiles"/>), each with its split, one document in memory at a time.
/// A <c>.txt</c> file is one document, or a book when it holds chapter headings; a <c>.jsonl</c> file holds one document
/// a line (field <c>text</c>); a <c>.parquet</c> file one a row (column <c>text</c>). Documents are trimmed; empty
/// ones give nothing.
/// <para>
/// Splits: a book is cut into chapters split by <see cref="BookCorpus"/>'s chapter rule (chapters counted across the
/// corpus's books; front matter is train), whatever the fractions. Every other document is split whole by
/// <see cref="DocumentSplitRule"/> on its number among them, unless they are too few for that rule to give validation
/// and test a document each: then each of them is cut by <see cref="TextFractionCut"/>.
/// </para>
/// </summary>
public sealed class CorpusReader
{
    private CorpusReader(string path, IReadOnlyList<string> files, SplitFractions fractions, long documents)
    {
        Path = path;
        Files = files;
        Fractions = fractions;
        Documents = documents;
        CutsDocuments = documents > 0 && !DocumentSplitRule.FillsEverySplit(documents, fractions);
    }

    /// <summary>The file or folder given.</summary>
    public string Path { get; }

    /// <summary>The files read, in reading order.</summary>
    public IReadOnlyList<string> Files { get; }

    public SplitFractions Fractions { get; }

    /// <summary>The number of documents that are not books.</summary>
    public long Documents { get; }

    /// <summary>Whether documents that are not books are cut by <see cref="TextFractionCut"/> rather than split whole.</summary>
    public bool CutsDocuments { get; }

    /// <summary>Lists the files of <paramref name="path"/> and counts their documents (reading them once, without keeping them).</summary>
    /// <exception cref="ArgumentException">A fraction is out of range, or the path names no corpus.</exception>
    /// <exception cref="InvalidDataException">The folder holds no corpus file, or a Parquet file is unreadable.</exception>
    public static CorpusReader Open(string path, SplitFractions fractions)
    {
        ArgumentNullException.ThrowIfNull(fractions);
        fractions.Validate();
        IReadOnlyList<string> files = CorpusFiles.List(path);
        return new CorpusReader(path, files, fractions, files.Sum(CountDocuments));
    }

    /// <summary>Every document or part of one with its split, in reading order.</summary>
    public IEnumerable<SplitText> Read()
    {
        int chapters = 0;
        long documents = 0;
        foreach (string file in Files)
        {
            string extension = System.IO.Path.GetExtension(file).ToLowerInvariant();
            if (extension == ".txt")
            {
                string text = ReadText(file);
                if (BookCorpus.IsBook(text))
                {
                    List<Chapter> book = BookCorpus.Cut(System.IO.Path.GetFileNameWithoutExtension(file), text, chapters);
                    chapters += book.Count(c => c.Number > 0);
                    foreach (Chapter chapter in book) yield return new SplitText(chapter.Split, chapter.Text);
                }
                else
                {
                    foreach (SplitText part in Document(text, documents++)) yield return part;
                }
                continue;
            }
            IEnumerable<string> texts = extension == ".jsonl" ? JsonlTexts.Read(file) : ParquetTexts.Read(file);
            foreach (string text in texts)
                foreach (SplitText part in Document(text, documents++)) yield return part;
        }
    }

    /// <summary>The texts of one split, in reading order.</summary>
    public IEnumerable<string> Texts(CorpusSplit split) => Read().Where(t => t.Split == split).Select(t => t.Text);

    private IEnumerable<SplitText> Document(string text, long ordinal)
    {
        string trimmed = text.Trim();
        if (trimmed.Length == 0) yield break;
        if (!CutsDocuments)
        {
            yield return new SplitText(DocumentSplitRule.SplitOf(ordinal, Fractions), trimmed);
            yield break;
        }
        (string train, string validation, string test) = TextFractionCut.Cut(trimmed, Fractions);
        foreach ((CorpusSplit split, string part) in new[] { (CorpusSplit.Train, train), (CorpusSplit.Validation, validation), (CorpusSplit.Test, test) })
        {
            string kept = part.Trim();
            if (kept.Length > 0) yield return new SplitText(split, kept);
        }
    }

    private static long CountDocuments(string file) => System.IO.Path.GetExtension(file).ToLowerInvariant() switch
    {
        ".txt" => File.ReadLines(file, Encoding.UTF8).Any(BookCorpus.IsBook) ? 0 : 1,
        ".jsonl" => JsonlTexts.Count(file),
        _ => ParquetColumns.RowCount(file),
    };

    private static string ReadText(string file) => File.ReadAllText(file, Encoding.UTF8).Replace("\r\n", "\n");
}
