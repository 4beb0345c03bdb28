using Distill.Shared.Tokenization;

namespace Distill.Shared.Tests.Tokenization;

/// <summary><see cref="LoadedTokenizer.EncodeWithOffsets"/> gives Hugging Face's ids, each with the characters it came from.</summary>
public sealed class TokenOffsetTests
{
    public static TheoryData<string, int> Cases => HuggingFaceFixtures.Cases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Spans_cover_the_text_in_order(string name, int index)
    {
        string text = HuggingFaceFixtures.Expected(name)[index].Text;
        LoadedTokenizer tokenizer = HuggingFaceFixtures.Tokenizer(name);

        var spans = tokenizer.EncodeWithOffsets(text);

        Assert.Equal(tokenizer.Encode(text), spans.Select(s => s.Id));
        var covered = new bool[text.Length];
        int previousStart = 0;
        foreach (var span in spans)
        {
            Assert.InRange(span.Start, previousStart, span.End);
            Assert.InRange(span.End, span.Start, text.Length);
            for (int c = span.Start; c < span.End; c++) covered[c] = true;
            previousStart = span.Start;
        }
        Assert.True(covered.All(c => c), $"{name}: characters {string.Join(",", Enumerable.Range(0, text.Length).Where(c => !covered[c]))} of {text} belong to no token");
    }

    [Theory]
    [InlineData("llama3")]
    [InlineData("qwen3")]
    [InlineData("llama2")]
    [InlineData("gemma3")]
    public void Hello_world_is_split_at_the_space_before_world(string name)
    {
        var spans = HuggingFaceFixtures.Tokenizer(name).EncodeWithOffsets("Hello world");

        Assert.Equal([(0, 5), (5, 11)], spans.Select(s => (s.Start, s.End)));
    }

    [Fact]
    public void A_composed_character_spans_its_decomposed_characters_under_nfc()
    {
        const string text = "cafe\u0301!"; // e + combining acute, which Qwen's NFC joins into é
        var spans = HuggingFaceFixtures.Tokenizer("qwen3").EncodeWithOffsets(text);

        Assert.Contains(spans, s => s.Start <= 3 && s.End == 5);
        Assert.DoesNotContain(spans, s => s.Start == 4 || s.End == 4);
    }

    [Fact]
    public void Special_token_written_in_text_spans_its_characters()
    {
        const string text = "Hi<|im_end|>there";
        var spans = HuggingFaceFixtures.Tokenizer("qwen3").EncodeWithOffsets(text);

        Assert.Contains(new TokenSpan(151645, 2, 12), spans);
    }

    [Fact]
    public void Byte_level_pieces_of_one_character_share_its_span()
    {
        const string text = "a𝔘b"; // one astral letter, four UTF-8 bytes, which GPT-2's vocabulary splits
        LoadedTokenizer gpt2 = TokenizerLoader.Load(TestPaths.Gpt2);
        var spans = gpt2.EncodeWithOffsets(text);

        Assert.True(spans.Count > 3);
        Assert.All(spans.Skip(1).SkipLast(1), s => Assert.Equal((1, 3), (s.Start, s.End)));
    }
}
