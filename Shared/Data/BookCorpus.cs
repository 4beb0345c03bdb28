using System.Text;
using System.Text.RegularExpressions;

namespace Distill.Shared.Data;

/// <summary>
/// A folder of plain-text books (one <c>.txt</c> per book) cut into chapters and split by chapter:
/// of every 20 consecutive chapters (counted across books in file-name order) one goes to validation,
/// one to test and the rest to train, so the three parts never share a chapter. Text before a book's
/// first chapter heading (title page, volume headings) belongs to train.
/// </summary>
public sealed partial class BookCorpus
{
    /// <summary>Chapter ordinals with this remainder modulo <see cref="SplitPeriod"/> are validation.</summary>
    public const int ValidationSlot = 10;
    /// <summary>Chapter ordinals with this remainder modulo <see cref="SplitPeriod"/> are test.</summary>
    public const int TestSlot = 15;
    /// <summary>The number of consecutive chapters over which the split repeats.</summary>
    public const int SplitPeriod = 20;

    private BookCorpus(IReadOnlyList<Chapter> chapters) => Chapters = chapters;

    public IReadOnlyList<Chapter> Chapters { get; }

    /// <summary>Reads every <c>*.txt</c> in <paramref name="folder"/>, books in ordinal file-name order.</summary>
    public static BookCorpus Load(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"corpus folder '{folder}' does not exist");
        string[] files = Directory.GetFiles(folder, "*.txt");
        if (files.Length == 0)
            throw new InvalidDataException($"corpus folder '{folder}' holds no .txt file");
        Array.Sort(files, StringComparer.Ordinal);

        var chapters = new List<Chapter>();
        foreach (string file in files)
        {
            string book = Path.GetFileNameWithoutExtension(file);
            string text = File.ReadAllText(file, Encoding.UTF8).Replace("\r\n", "\n");
            AddChapters(book, text, chapters);
        }
        return new BookCorpus(chapters);
    }

    /// <summary>The text of one split: its chapters in corpus order.</summary>
    public IEnumerable<string> Texts(CorpusSplit split) =>
        Chapters.Where(c => c.Split == split).Select(c => c.Text);

    public static CorpusSplit SplitOf(int ordinal) => (ordinal % SplitPeriod) switch
    {
        ValidationSlot => CorpusSplit.Validation,
        TestSlot => CorpusSplit.Test,
        _ => CorpusSplit.Train,
    };

    /// <summary>Whether <paramref name="text"/> holds a chapter heading (a line such as <c>CHAPTER 12</c> or <c>Chapter IV.</c>).</summary>
    public static bool IsBook(string text) => ChapterHeading().IsMatch(text);

    /// <summary>
    /// The chapters of one book (and its front matter), the first chapter numbered <paramref name="firstOrdinal"/>
    /// across the corpus.
    /// </summary>
    public static List<Chapter> Cut(string book, string text, int firstOrdinal) => Cut(book, text.Split('\n'), firstOrdinal).ToList();

    /// <summary>
    /// The chapters of the book that <paramref name="lines"/> make joined by <c>'\n'</c>, read a line at a time and
    /// given a chapter at a time: each part starts at a heading line (the first at the text's start).
    /// </summary>
    public static IEnumerable<Chapter> Cut(string book, IEnumerable<string> lines, int firstOrdinal)
    {
        int ordinal = firstOrdinal;
        int number = 0;
        var part = new StringBuilder();
        foreach (string line in lines)
        {
            if (IsBook(line))
            {
                if (Part(book, number, part, ordinal) is { } chapter)
                {
                    if (chapter.Number > 0) ordinal++;
                    yield return chapter;
                }
                number++;
            }
            part.Append(line).Append('\n');
        }
        if (Part(book, number, part, ordinal) is { } last) yield return last;
    }

    private static void AddChapters(string book, string text, List<Chapter> chapters) =>
        chapters.AddRange(Cut(book, text, chapters.Count(c => c.Number > 0)));

    private static Chapter? Part(string book, int number, StringBuilder part, int ordinal)
    {
        string trimmed = part.ToString().Trim();
        part.Clear();
        if (trimmed.Length == 0) return null;
        // Front matter (title, author, first volume heading) is always train.
        if (number == 0) return new Chapter(book, 0, -1, trimmed, CorpusSplit.Train);
        return new Chapter(book, number, ordinal, trimmed, SplitOf(ordinal));
    }

    [GeneratedRegex(@"^(CHAPTER|Chapter) [0-9IVXLC]+\.?\s*$", RegexOptions.Multiline)]
    private static partial Regex ChapterHeading();
}
