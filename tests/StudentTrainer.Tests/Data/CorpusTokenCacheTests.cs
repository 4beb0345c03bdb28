using Distill.Shared.Data;
using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Cli;
using Distill.StudentTrainer.Data;

namespace Distill.StudentTrainer.Tests.Data;

/// <summary>Streamed tokenization into the token cache: the streams an in-memory join gives, reused, renewed, refused when empty.</summary>
public sealed class CorpusTokenCacheTests : IDisposable
{
    private static readonly LoadedTokenizer Tokenizer = TokenizerLoader.Load(Path.Combine(AppContext.BaseDirectory, "Data", "gpt2"));
    private readonly string _root = Directory.CreateTempSubdirectory("distill-token-cache-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Cache => Path.Combine(_root, "cache");

    private string Corpus(string name, int documents)
    {
        string folder = Path.Combine(_root, name);
        Directory.CreateDirectory(folder);
        File.WriteAllLines(Path.Combine(folder, "docs.jsonl"),
            Enumerable.Range(0, documents).Select(i => $"{{\"text\": \"Document {i} says {new string('x', i % 7)} and then stops.\"}}"));
        return folder;
    }

    private (TokenStream Train, TokenStream Validation, TokenStream Test) Load(string data) =>
        CorpusTokens.Load(data, Tokenizer, new CorpusOptions(SplitFractions.Default, Cache));

    [Fact]
    public void Streamed_splits_are_the_documents_encoded_and_joined_in_order()
    {
        string data = Corpus("many", 700);
        var (train, validation, test) = Load(data);

        CorpusReader corpus = CorpusReader.Open(data, SplitFractions.Default);
        int eos = Tokenizer.EosId!.Value;
        foreach ((CorpusSplit split, TokenStream stream) in new[] { (CorpusSplit.Train, train), (CorpusSplit.Validation, validation), (CorpusSplit.Test, test) })
        {
            TokenStream expected = TokenStream.Join(corpus.Texts(split).Select(Tokenizer.Encode), eos);
            Assert.Equal(expected.Read(0, expected.Count), stream.Read(0, stream.Count));
        }
    }

    [Fact]
    public void A_document_tokenised_in_pieces_gives_the_ids_of_the_whole_and_one_separator()
    {
        string folder = Path.Combine(_root, "long");
        Directory.CreateDirectory(folder);
        File.WriteAllLines(Path.Combine(folder, "one.txt"), Enumerable.Range(0, 400).Select(i => i % 9 == 0 ? "" : $"Line {i} of one long file, with  spaces\tand tabs."));
        CorpusReader whole = CorpusReader.Open(folder, SplitFractions.Default);
        CorpusReader pieces = CorpusReader.Open(folder, SplitFractions.Default, pieceCharacters: 100);
        Assert.True(pieces.Read().Count() > 100);

        var (train, validation, test) = CorpusTokenCache.Load(pieces, Tokenizer, Tokenizer.EosId!.Value, Cache);

        foreach ((CorpusSplit split, TokenStream stream) in new[] { (CorpusSplit.Train, train), (CorpusSplit.Validation, validation), (CorpusSplit.Test, test) })
        {
            TokenStream expected = TokenStream.Join(whole.Texts(split).Select(Tokenizer.Encode), Tokenizer.EosId!.Value);
            Assert.Equal(expected.Read(0, expected.Count), stream.Read(0, stream.Count));
        }
    }

    [Fact]
    public void A_second_load_reads_the_cache_and_a_changed_file_tokenizes_afresh()
    {
        string data = Corpus("reused", 40);
        Load(data);
        string entry = Assert.Single(Directory.GetDirectories(Cache));
        DateTime written = File.GetLastWriteTimeUtc(Path.Combine(entry, "train.tokens"));

        Load(data);
        Assert.Equal(entry, Assert.Single(Directory.GetDirectories(Cache)));
        Assert.Equal(written, File.GetLastWriteTimeUtc(Path.Combine(entry, "train.tokens")));

        File.AppendAllText(Path.Combine(data, "docs.jsonl"), "{\"text\": \"one more document\"}\n");
        Load(data);
        Assert.Equal(2, Directory.GetDirectories(Cache).Length);
    }

    [Fact]
    public void Entries_of_corpora_that_are_gone_are_removed_when_a_new_one_is_written()
    {
        string gone = Corpus("gone", 20);
        Load(gone);
        Directory.Delete(gone, recursive: true);

        Load(Corpus("kept", 20));

        string entry = Assert.Single(Directory.GetDirectories(Cache));
        Assert.Contains("kept", File.ReadAllText(Path.Combine(entry, "corpus.json")));
    }

    [Fact]
    public void An_empty_split_is_a_clear_error_and_leaves_no_entry()
    {
        string data = Path.Combine(_root, "tiny");
        Directory.CreateDirectory(data);
        File.WriteAllText(Path.Combine(data, "one.txt"), "a single line");

        var error = Assert.Throws<InvalidDataException>(() => Load(data));

        Assert.Equal($"the validation split of corpus '{data}' is empty (1 documents besides books): give more text or raise --validation-fraction / --test-fraction", error.Message);
        Assert.Empty(Directory.GetDirectories(Cache));
    }
}
