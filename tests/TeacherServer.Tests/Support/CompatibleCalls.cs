using System.Net;
using System.Text;
using System.Text.Json;

namespace Distill.TeacherServer.Tests.Support;

/// <summary>A client of the vLLM- and SGLang-compatible endpoints that reads their answers as TRL and SGLang clients do: as plain JSON.</summary>
public static class CompatibleCalls
{
    /// <summary>Two prompts of different lengths for the tiny teacher (vocabulary 32).</summary>
    public static readonly int[][] Prompts = [[3, 9, 14, 2, 27, 5, 11], [8, 1, 30, 30, 4]];

    /// <summary>A server with one tiny model, "teacher" (vocabulary 32, context 16).</summary>
    public static TeacherHost StartTeacher() =>
        TeacherHost.Start(models => TinyOnnxModel.WriteFolder(Path.Combine(models, "teacher"), vocab: 32, context: 16));

    public static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient client, string path, string json)
    {
        using var response = await client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    public static async Task<JsonElement> OkAsync(HttpClient client, string path, string json)
    {
        var (status, body) = await PostAsync(client, path, json);
        Assert.True(status == HttpStatusCode.OK, $"{(int)status}: {body}");
        return body;
    }

    /// <summary>
    /// One position of vLLM's prompt_logprobs as TRL's async distillation worker reads it: the entries sorted by rank,
    /// ids parsed from their decimal keys.
    /// </summary>
    public static (int Id, float Logprob, int Rank)[] ByRank(JsonElement position) =>
        position.EnumerateObject()
            .Select(e => (int.Parse(e.Name), e.Value.GetProperty("logprob").GetSingle(), e.Value.GetProperty("rank").GetInt32()))
            .OrderBy(e => e.Item3).ToArray();

    /// <summary>The actual token's entry, looked up as TRL does, by str(id).</summary>
    public static (float Logprob, int Rank) Actual(JsonElement position, int id)
    {
        var entry = position.GetProperty(id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return (entry.GetProperty("logprob").GetSingle(), entry.GetProperty("rank").GetInt32());
    }

    /// <summary>vLLM's error body: {"error": {"message", "type", "param", "code"}} with the status as the code.</summary>
    public static void AssertError(HttpStatusCode expected, string type, HttpStatusCode status, JsonElement body, string? messagePart = null)
    {
        Assert.True(expected == status, $"expected {(int)expected}, got {(int)status}: {body}");
        var error = body.GetProperty("error");
        Assert.Equal(type, error.GetProperty("type").GetString());
        Assert.Equal((int)expected, error.GetProperty("code").GetInt32());
        Assert.Equal(JsonValueKind.Null, error.GetProperty("param").ValueKind);
        var message = error.GetProperty("message").GetString();
        Assert.False(string.IsNullOrEmpty(message));
        if (messagePart is not null)
        {
            Assert.Contains(messagePart, message);
        }
    }
}
