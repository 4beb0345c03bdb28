using Distill.Shared.Tokenization;

namespace Distill.Shared.Tests.Tokenization;

/// <summary>The real Llama 3, Qwen 3, Llama 2 style and Gemma 3 tokenizers give Hugging Face's ids and decodes.</summary>
public sealed class HuggingFaceParityTests
{
    public static TheoryData<string, int> Cases => HuggingFaceFixtures.Cases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encode_gives_hugging_faces_ids_without_special_tokens(string name, int index)
    {
        var expected = HuggingFaceFixtures.Expected(name)[index];
        Assert.Equal(expected.Ids, HuggingFaceFixtures.Tokenizer(name).Encode(expected.Text));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encode_with_special_tokens_gives_hugging_faces_ids(string name, int index)
    {
        var expected = HuggingFaceFixtures.Expected(name)[index];
        Assert.Equal(expected.WithSpecialTokens, HuggingFaceFixtures.Tokenizer(name).EncodeWithSpecialTokens(expected.Text));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decode_of_the_ids_is_hugging_faces(string name, int index)
    {
        var expected = HuggingFaceFixtures.Expected(name)[index];
        LoadedTokenizer tokenizer = HuggingFaceFixtures.Tokenizer(name);
        Assert.Equal(expected.Decoded, tokenizer.Decode(tokenizer.Encode(expected.Text)));
    }
}
