using System.Diagnostics;
using Xunit.Abstractions;

namespace Distill.Shared.Tests.Tokenization;

public sealed class AustenTokenizerTests(AustenTokenizerFixture fixture, ITestOutputHelper output) : IClassFixture<AustenTokenizerFixture>
{
    [Fact]
    public void Vocab_4096_has_3839_merges_and_endoftext_last()
    {
        Assert.Equal(4096, fixture.Vocabulary.Vocab.Count);
        Assert.Equal(3839, fixture.Vocabulary.Merges.Count);
        Assert.Equal(4095, fixture.Vocabulary.Vocab["<|endoftext|>"]);
        Assert.Equal(4096, fixture.Loaded.VocabSize);
        Assert.Equal(4095, fixture.Loaded.EosId);
        Assert.Equal("byte-level-bpe", fixture.Loaded.Kind);
        Assert.Matches("^[0-9a-f]{64}$", fixture.Loaded.Fingerprint);
    }

    [Fact]
    public void Whole_corpus_round_trips_losslessly()
    {
        var clock = Stopwatch.StartNew();
        long ids = 0;
        foreach (string text in fixture.Texts)
        {
            IReadOnlyList<int> encoded = fixture.Loaded.Encode(text);
            ids += encoded.Count;
            Assert.All(encoded, id => Assert.InRange(id, 0, 4094));
            Assert.Equal(text, fixture.Loaded.Decode(encoded));
        }
        output.WriteLine($"{ids:N0} ids, round trip in {clock.Elapsed.TotalSeconds:F2} s");
    }

    [Theory]
    [InlineData("Élise a déjà mangé une crème brûlée à Zürich.")]
    [InlineData("emoji 😀👍🏽 and 漢字 and Ελληνικά")]
    [InlineData("line one\r\nline two\r\n\r\n")]
    [InlineData("\ttabs\t\tand   multiple    spaces  ")]
    [InlineData("  leading and trailing  \n")]
    [InlineData("\u0000\u0001 control \u007f bytes \u00a0nbsp")]
    [InlineData("")]
    [InlineData("don't won't I'm you'll we'd 1234567 3.14 $5")]
    public void Odd_text_round_trips(string text) =>
        Assert.Equal(text, fixture.Loaded.Decode(fixture.Loaded.Encode(text)));

    [Fact]
    public void Endoftext_in_text_is_its_single_id()
    {
        IReadOnlyList<int> ids = fixture.Loaded.Encode("The end.<|endoftext|>Chapter 1");
        Assert.Single(ids, id => id == 4095);
        Assert.Equal("The end.<|endoftext|>Chapter 1", fixture.Loaded.Decode(ids));
        Assert.Equal([4095], fixture.Loaded.Encode("<|endoftext|>"));
    }

    [Fact]
    public void Vocab_file_is_readable_utf8()
    {
        string json = File.ReadAllText(Path.Combine(fixture.Folder, "vocab.json"));
        Assert.Contains("\"Ġ\": ", json);
        Assert.Contains("\"Ċ\": ", json);
        string[] merges = File.ReadAllLines(Path.Combine(fixture.Folder, "merges.txt"));
        Assert.Equal("#version: 0.2", merges[0]);
        Assert.Equal(3840, merges.Length);
    }
}
