namespace Distill.Shared.Data;

/// <summary>
/// Streams the documents of a corpus (<see cref="CorpusFiles"/>), each with its split, a bounded piece in memory at a
/// time. A <c>.txt</c> file is one document, or a book when it holds chapter headings; a <c>.jsonl</c> file holds one
/// document a line (field <c>text</c>); a <c>.parquet</c> file one a row (column <c>text</c>). Documents are trimmed;
/// empty ones give nothing. A <c>.txt</c> file is read a line at a time (a book a chapter at a time), and a document
/// longer than <see cref="PieceCharacters"/> comes in pieces (<see cref="DocumentPieces"/>).
/// <para>
/// Splits: a book is cut into chapters split by <see cref="BookCorpus"/>'s chapter rule (chapters counted across the
/// corpus's books; front matter is train), whatever the fractions. Every other document is split whole by
/// <see cref="DocumentSplitRule"/> on its number among them, unless they are too few for that rule to give validation
/// and test a document each: then each of them is cut by share of its characters at line ends
/// (<see cref="DocumentPieces.ByFractions"/>).
/// </para>
/// </summary>
public sealed class CorpusReader
{
    /// <summary>The longest piece of a document given at once, in characters, unless <see cref="Open"/> is told otherwise.</summary>
    public const int DefaultPieceCharacters = 1 << 20;

    private readonly IReadOnlyDictionary<string, TextFileSurvey> _textFiles;

    private CorpusReader(string path, IReadOnlyList<string> files, SplitFractions fractions, IReadOnlyDictionary<string, TextFileSurvey> textFiles, long documents, int pieceCharacters)
    {
        Path = path;
        Files = files;
        Fractions = fractions;
        Documents = documents;
        PieceCharacters = pieceCharacters;
        _textFiles = textFiles;
        CutsDocuments = documents > 0 && !DocumentSplitRule.FillsEverySplit(documents, fractions);
    }

    /// <summary>The file or folder given.</summary>
    public string Path { get; }

    /// <summary>The files read, in reading order.</summary>
    public IReadOnlyList<string> Files { get; }

    public SplitFractions Fractions { get; }

    /// <summary>The number of documents that are not books.</summary>
    public long Documents { get; }

    /// <summary>Whether documents that are not books are cut by share of their characters rather than split whole.</summary>
    public bool CutsDocuments { get; }

    /// <summary>The longest piece of a document given at once, in characters (a single longer line excepted).</summary>
    public int PieceCharacters { get; }

    /// <summary>Lists the files of <paramref name="path"/> and counts their documents (reading them once, without keeping them).</summary>
    /// <exception cref="ArgumentException">A fraction is out of range, or the path names no corpus.</exception>
    /// <exception cref="InvalidDataException">The folder holds no corpus file, or a Parquet file is unreadable.</exception>
    public static CorpusReader Open(string path, SplitFractions fractions, int pieceCharacters = DefaultPieceCharacters)
    {
        ArgumentNullException.ThrowIfNull(fractions);
        fractions.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(pieceCharacters, 2);
        IReadOnlyList<string> files = CorpusFiles.List(path);
        var textFiles = new Dictionary<string, TextFileSurvey>();
        long documents = 0;
        foreach (string file in files)
        {
            if (IsText(file))
            {
                TextFileSurvey survey = TextFileSurvey.Of(file);
                textFiles[file] = survey;
                if (!survey.IsBook) documents++;
            }
            else documents += System.IO.Path.GetExtension(file).Equals(".jsonl", StringComparison.OrdinalIgnoreCase) ? JsonlTexts.Count(file) : ParquetColumns.RowCount(file);
        }
        return new CorpusReader(path, files, fractions, textFiles, documents, pieceCharacters);
    }

    /// <summary>Every document, or piece of one, with its split, in reading order.</summary>
    public IEnumerable<SplitText> Read()
    {
        int chapters = 0;
        long documents = 0;
        foreach (string file in Files)
        {
            if (_textFiles.TryGetValue(file, out TextFileSurvey survey))
            {
                if (survey.IsBook)
                {
                    foreach (Chapter chapter in BookCorpus.Cut(System.IO.Path.GetFileNameWithoutExtension(file), TextFileLines.Read(file), chapters))
                    {
                        if (chapter.Number > 0) chapters++;
                        foreach (SplitText piece in DocumentPieces.Of(chapter.Text, DocumentPieces.Whole(chapter.Split), PieceCharacters)) yield return piece;
                    }
                }
                else
                {
                    foreach (SplitText piece in DocumentPieces.Cut(TextFileLines.Read(file), survey.Shape, PartsOf(documents++, () => survey.Shape.Length), PieceCharacters))
                        yield return piece;
                }
                continue;
            }
            IEnumerable<string> texts = System.IO.Path.GetExtension(file).Equals(".jsonl", StringComparison.OrdinalIgnoreCase) ? JsonlTexts.Read(file) : ParquetTexts.Read(file);
            foreach (string text in texts)
                foreach (SplitText piece in DocumentPieces.Of(text, PartsOf(documents++, () => TextShape.Of(text).Length), PieceCharacters))
                    yield return piece;
        }
    }

    /// <summary>The texts of one split, in reading order (a long document's pieces one by one).</summary>
    public IEnumerable<string> Texts(CorpusSplit split) => Read().Where(t => t.Split == split).Select(t => t.Text);

    /// <param name="length">The trimmed document's length, measured only when documents are cut by fractions.</param>
    private IReadOnlyList<DocumentPieces.Part> PartsOf(long ordinal, Func<long> length) => CutsDocuments
        ? DocumentPieces.ByFractions(length(), Fractions)
        : DocumentPieces.Whole(DocumentSplitRule.SplitOf(ordinal, Fractions));

    private static bool IsText(string file) => System.IO.Path.GetExtension(file).Equals(".txt", StringComparison.OrdinalIgnoreCase);

    /// <summary>What one pass over a <c>.txt</c> file tells: whether it is a book, and where its trimmed text lies.</summary>
    private readonly record struct TextFileSurvey(bool IsBook, TextShape Shape)
    {
        public static TextFileSurvey Of(string file)
        {
            var meter = new TextShape.Meter();
            bool book = false;
            foreach (string line in TextFileLines.Read(file))
            {
                meter.Add(line);
                book = book || BookCorpus.IsBook(line);
            }
            return new TextFileSurvey(book, meter.Shape);
        }
    }
}
