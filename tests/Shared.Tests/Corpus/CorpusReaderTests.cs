using Distill.Shared.Data;

namespace Distill.Shared.Tests.Corpus;

/// <summary>Each reader of <see cref="CorpusReader"/>, the file order, and the errors of bad files.</summary>
public sealed class CorpusReaderTests : IDisposable
{
    private readonly CorpusFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static string[] AllTexts(CorpusReader corpus) => corpus.Read().Select(t => t.Text).ToArray();

    [Fact]
    public void A_folder_is_read_recursively_in_ordinal_path_order_without_hidden_or_other_files()
    {
        _folder.Write("b.txt", "bee\r\n");
        _folder.Write("a/z.txt", "zed");
        _folder.Write("B.txt", "big bee");
        _folder.Write(".cache/x.txt", "hidden");
        _folder.Write("notes.md", "not a corpus file");

        CorpusReader corpus = CorpusReader.Open(_folder.Root, SplitFractions.Default);

        Assert.Equal(["B.txt", "a/z.txt", "b.txt"], corpus.Files.Select(f => CorpusFiles.RelativePath(_folder.Root, f)));
        Assert.Equal(3, corpus.Documents);
        Assert.Equal(["big bee", "zed", "bee"], AllTexts(corpus));
    }

    [Fact]
    public void Jsonl_lines_are_documents_and_blank_lines_are_skipped()
    {
        string file = _folder.Write("docs.jsonl", "{\"text\": \"one\", \"id\": 1}\n\n{\"text\": \"two\\nlines\"}\n{\"text\": \"  \"}\n");

        CorpusReader corpus = CorpusReader.Open(file, SplitFractions.Default);

        Assert.Equal(3, corpus.Documents);
        Assert.Equal(["one", "two\nlines"], AllTexts(corpus));
    }

    [Fact]
    public void Parquet_rows_are_documents_across_row_groups()
    {
        string file = _folder.WriteParquet("docs.parquet", new() { ["id"] = ["1", "2", "3"], ["text"] = ["first", null, "third"] }, rowGroupSize: 2);

        CorpusReader corpus = CorpusReader.Open(file, SplitFractions.Default);

        Assert.Equal(3, corpus.Documents);
        Assert.Equal(["first", "third"], AllTexts(corpus));
    }

    [Fact]
    public void A_book_among_documents_keeps_the_chapter_rule()
    {
        string book = "TITLE\n\n" + string.Concat(Enumerable.Range(1, 21).Select(c => $"CHAPTER {c}\n\nchapter {c} text\n\n"));
        _folder.Write("book.txt", book);
        _folder.Write("plain.txt", "a plain document");

        CorpusReader corpus = CorpusReader.Open(_folder.Root, SplitFractions.Default);

        Assert.Equal(1, corpus.Documents);
        Assert.Equal(["CHAPTER 11\n\nchapter 11 text"], corpus.Texts(CorpusSplit.Validation).Where(t => t.StartsWith("CHAPTER")));
        Assert.Equal(["CHAPTER 16\n\nchapter 16 text"], corpus.Texts(CorpusSplit.Test).Where(t => t.StartsWith("CHAPTER")));
        Assert.Equal(BookCorpus.Load(_folder.Root).Chapters.Take(22).Select(c => c.Text), AllTexts(corpus).Take(22));
    }

    [Theory]
    [InlineData("{\"body\": \"x\"}", "line 2: missing field 'text'")]
    [InlineData("{\"text\": 3}", "line 2: field 'text' must be a string")]
    [InlineData("{\"text\": \"x\"", "line 2:")]
    [InlineData("[\"x\"]", "line 2: expected a JSON object")]
    public void A_bad_jsonl_line_names_file_line_and_field(string line, string expected)
    {
        string file = _folder.Write("bad.jsonl", "{\"text\": \"fine\"}\n" + line + "\n");

        var error = Assert.Throws<InvalidDataException>(() => CorpusReader.Open(file, SplitFractions.Default).Read().ToList());

        Assert.StartsWith($"{file}, {expected}", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_parquet_file_without_a_text_column_is_a_clear_error()
    {
        string file = _folder.WriteParquet("bad.parquet", new() { ["body"] = ["x"] });

        var error = Assert.Throws<InvalidDataException>(() => CorpusReader.Open(file, SplitFractions.Default).Read().ToList());

        Assert.Equal($"{file}: missing column 'text'", error.Message);
    }

    [Fact]
    public void A_file_that_is_not_parquet_is_a_clear_error()
    {
        string file = _folder.Write("broken.parquet", "this is not parquet at all");

        var error = Assert.Throws<InvalidDataException>(() => CorpusReader.Open(file, SplitFractions.Default));

        Assert.StartsWith($"{file} is not a readable Parquet file", error.Message);
    }

    [Fact]
    public void Paths_that_name_no_corpus_are_clear_errors()
    {
        Assert.Contains("neither a file nor a folder", Assert.Throws<ArgumentException>(() => CorpusReader.Open(Path.Combine(_folder.Root, "none"), SplitFractions.Default)).Message);
        Assert.Contains("holds no .txt, .jsonl or .parquet file", Assert.Throws<InvalidDataException>(() => CorpusReader.Open(_folder.Root, SplitFractions.Default)).Message);
        string other = _folder.Write("notes.md", "x");
        Assert.Contains("is not a .txt, .jsonl or .parquet file", Assert.Throws<ArgumentException>(() => CorpusReader.Open(other, SplitFractions.Default)).Message);
    }

    [Theory]
    [InlineData(0, 0.05)]
    [InlineData(0.05, 1)]
    [InlineData(0.6, 0.4)]
    public void Fractions_out_of_range_are_refused(double validation, double test)
    {
        _folder.Write("a.txt", "x");
        Assert.Throws<ArgumentException>(() => CorpusReader.Open(_folder.Root, new SplitFractions(validation, test)));
    }
}
