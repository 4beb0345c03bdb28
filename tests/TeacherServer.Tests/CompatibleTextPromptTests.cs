using System.Text.Json;
using Distill.Shared.Tokenization;
using Distill.TeacherServer.Tests.Support;

namespace Distill.TeacherServer.Tests;

/// <summary>A text prompt is tokenised with the model folder's tokenizer; decoded_token is each id's text.</summary>
public sealed class CompatibleTextPromptTests : IDisposable
{
    private readonly TeacherHost host = TeacherHost.Start(models =>
    {
        var folder = Path.Combine(models, "spoken");
        TinyOnnxModel.WriteFolder(folder, vocab: 32, eos: 2);
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), ServedTokenizerTests.SentencePieceTokenizerJson);
    });

    public void Dispose() => host.Dispose();

    [Fact]
    public async Task Texts_are_tokenised_as_the_folders_tokenizer_does_and_tokens_are_decoded()
    {
        await host.WaitForModelAsync("spoken");
        var tokenizer = TokenizerLoader.Load(Path.Combine(host.ModelsFolder, "spoken"));
        string[] texts = ["the the", "the"];
        var answer = await CompatibleCalls.OkAsync(host.Client, "/v1/completions",
            $$"""{"model": "spoken", "prompt": {{JsonSerializer.Serialize(texts)}}, "max_tokens": 0, "prompt_logprobs": 3, "return_token_ids": true}""");
        var choices = answer.GetProperty("choices");
        Assert.Equal(texts.Length, choices.GetArrayLength());
        for (var i = 0; i < texts.Length; i++)
        {
            var ids = choices[i].GetProperty("prompt_token_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            Assert.Equal(tokenizer.EncodeWithSpecialTokens(texts[i]), ids);
            var promptLogprobs = choices[i].GetProperty("prompt_logprobs");
            Assert.Equal(ids.Length, promptLogprobs.GetArrayLength());
            foreach (var position in promptLogprobs.EnumerateArray().Skip(1))
            {
                foreach (var entry in position.EnumerateObject())
                {
                    var id = int.Parse(entry.Name);
                    var decoded = entry.Value.GetProperty("decoded_token");
                    // The model's vocabulary (32) is larger than the tokenizer's (11): padded ids have no text.
                    Assert.Equal(id < tokenizer.VocabSize ? tokenizer.Decode([id]) : null, decoded.ValueKind == JsonValueKind.Null ? null : decoded.GetString());
                }
            }
        }
    }
}
