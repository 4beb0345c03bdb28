using Distill.Shared.Tokenization;
using Microsoft.ML.Tokenizers;

namespace Distill.Shared.Tests.Tokenization;

/// <summary><c>vocab.json</c> + <c>merges.txt</c> folders keep the ids the earlier Microsoft.ML.Tokenizers loader gave them.</summary>
public sealed class PreviousLoaderParityTests(AustenTokenizerFixture fixture) : IClassFixture<AustenTokenizerFixture>
{
    [Fact]
    public void Austen_corpus_has_the_ids_of_the_previous_loader()
    {
        Tokenizer previous = PreviousLoader(fixture.Vocabulary);
        foreach (string text in fixture.Texts)
        {
            Assert.Equal(previous.EncodeToIds(text), fixture.Loaded.Encode(text));
        }
    }

    [Theory]
    [InlineData("  multiple   spaces\r\n\ttab héllo 😀 漢字 \n\n<|endoftext|>I'm DON'T 1234567")]
    [InlineData("")]
    public void Gpt2_files_have_the_ids_of_the_previous_loader(string text)
    {
        LoadedTokenizer gpt2 = TokenizerLoader.Load(TestPaths.Gpt2);
        var previous = PreviousLoader(TestPaths.Gpt2Vocabulary());

        Assert.Equal(previous.EncodeToIds(text), gpt2.Encode(text));
    }

    /// <summary>The earlier loader: Microsoft.ML's byte-level BPE with GPT-2's regex and the unreachable tokens as special.</summary>
    private static Tokenizer PreviousLoader(BpeVocabulary vocabulary) => BpeTokenizer.Create(new BpeOptions(vocabulary.Vocab)
    {
        Merges = vocabulary.Merges.Select(m => m.ToString()),
        ByteLevel = true,
        PreTokenizer = new RegexPreTokenizer(Gpt2Pattern.Regex(), vocabulary.SpecialTokens),
        SpecialTokens = vocabulary.SpecialTokens,
    });
}
