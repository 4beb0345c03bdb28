using System.Text;
using System.Text.RegularExpressions;
using Distill.Shared.Data;
using Distill.Shared.Tests.Tokenization;

namespace Distill.Shared.Tests.Corpus;

/// <summary>
/// A <c>.txt</c> file read a line at a time gives what reading it whole gave: its lines, a book's chapters, and a long
/// document's pieces that join to the document.
/// </summary>
public sealed class StreamedTextTests : IDisposable
{
    private readonly CorpusFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("")]
    [InlineData("one line")]
    [InlineData("ends with a newline\n")]
    [InlineData("a\r\nb\rc\n\nd\r\r\ne\r")]
    [InlineData("\r\n\r\n")]
    public void Lines_are_the_text_with_crlf_read_as_lf_split_at_every_newline(string text)
    {
        string path = Path.Combine(_folder.Root, "lines.txt");
        File.WriteAllBytes(path, [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(text)]);

        Assert.Equal(text.Replace("\r\n", "\n").Split('\n'), TextFileLines.Read(path));
    }

    [Fact]
    public void A_line_longer_than_the_read_buffer_and_a_crlf_across_buffers_are_read_whole()
    {
        string text = new string('x', 65535) + "\r\n" + new string('y', 200_000) + "\nend";
        string path = _folder.Write("long.txt", text);

        Assert.Equal(text.Replace("\r\n", "\n").Split('\n'), TextFileLines.Read(path));
    }

    [Fact]
    public void Austens_books_read_a_line_at_a_time_give_the_chapters_of_the_whole_text()
    {
        int ordinal = 0;
        foreach (string file in Directory.GetFiles(TestPaths.Austen, "*.txt").Order(StringComparer.Ordinal))
        {
            string book = Path.GetFileNameWithoutExtension(file);
            Chapter[] expected = ReferenceChapters(book, File.ReadAllText(file).Replace("\r\n", "\n"), ordinal);
            Chapter[] streamed = BookCorpus.Cut(book, TextFileLines.Read(file), ordinal).ToArray();

            Assert.Equal(expected, streamed);
            ordinal += expected.Count(c => c.Number > 0);
        }
        Assert.Equal(269, ordinal);
    }

    [Theory]
    [InlineData("CHAPTER 1\nfirst\nCHAPTER 2\n\nCHAPTER 3\nthird")]
    [InlineData("Title\r\n\r\nChapter IV.\r\ntext\r\nChapter V  \r\nmore\r\n")]
    [InlineData("front\nCHAPTER 1 and more words\nCHAPTER X\nchapter x text\n")]
    [InlineData("\n\nCHAPTER 7\n")]
    public void Odd_books_read_a_line_at_a_time_give_the_chapters_of_the_whole_text(string text)
    {
        string path = _folder.Write("book.txt", text);
        Assert.Equal(ReferenceChapters("book", text.Replace("\r\n", "\n"), 9), BookCorpus.Cut("book", TextFileLines.Read(path), 9));
    }

    [Fact]
    public void A_long_document_comes_in_pieces_that_join_to_the_document_read_whole()
    {
        var text = new StringBuilder("\r\n  \r\n");
        for (int i = 0; i < 300; i++) text.Append(i % 7 == 0 ? "\r\n" : $"line {i} of a long file\r\n");
        _folder.Write("one.txt", text.ToString());
        _folder.Write("two.txt", text.ToString().Replace("line", "row"));

        SplitText[] whole = CorpusReader.Open(_folder.Root, SplitFractions.Default).Read().ToArray();
        SplitText[] pieces = CorpusReader.Open(_folder.Root, SplitFractions.Default, pieceCharacters: 200).Read().ToArray();

        Assert.All(whole, t => Assert.True(t.EndsDocument));
        Assert.True(pieces.Length > 5 * whole.Length, $"{pieces.Length} pieces");
        Assert.All(pieces, p => Assert.InRange(p.Text.Length, 1, 200 + 60));
        Assert.Equal(whole.Select(t => (t.Split, t.Text)), Joined(pieces));
    }

    private static IEnumerable<(CorpusSplit, string)> Joined(IEnumerable<SplitText> pieces)
    {
        var text = new StringBuilder();
        foreach (SplitText piece in pieces)
        {
            text.Append(piece.Text);
            if (!piece.EndsDocument) continue;
            yield return (piece.Split, text.ToString());
            text.Clear();
        }
    }

    /// <summary>The chapter rule on a whole text: a part starts at each heading line; parts are trimmed; empty ones dropped.</summary>
    private static Chapter[] ReferenceChapters(string book, string text, int firstOrdinal)
    {
        var chapters = new List<Chapter>();
        int ordinal = firstOrdinal;
        int number = 0;
        int start = 0;
        var headings = Regex.Matches(text, @"^(CHAPTER|Chapter) [0-9IVXLC]+\.?\s*$", RegexOptions.Multiline).Select(m => m.Index).Append(-1);
        foreach (int heading in headings)
        {
            string part = (heading < 0 ? text[start..] : text[start..heading]).Trim();
            if (part.Length > 0)
                chapters.Add(number == 0 ? new Chapter(book, 0, -1, part, CorpusSplit.Train) : new Chapter(book, number, ordinal, part, BookCorpus.SplitOf(ordinal++)));
            if (heading >= 0) start = heading;
            number++;
        }
        return chapters.ToArray();
    }
}
