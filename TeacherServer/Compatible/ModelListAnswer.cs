using System.Text.Json.Serialization;
using Distill.Shared.Wire;
using Distill.TeacherServer.Models;

namespace Distill.TeacherServer.Compatible;

/// <summary>
/// GET /v1/models: this server's own list ("models", which the trainer reads) and OpenAI's ("object": "list", "data"),
/// which vLLM clients read (TRL takes data[0].id and data[0].max_model_len).
/// </summary>
public sealed record ModelListAnswer(
    [property: JsonPropertyName("models")] IReadOnlyList<ModelInfo> Models,
    [property: JsonPropertyName("data")] IReadOnlyList<ModelCard> Data)
{
    [JsonPropertyName("object")]
    public string Object => "list";

    public static ModelListAnswer Of(IReadOnlyCollection<LoadedModel> models) =>
        new(models.Select(m => m.Info).ToArray(), models.Select(m => new ModelCard(m.Name, m.Created, m.ContextLength)).ToArray());
}

/// <summary>One model as OpenAI lists it, with vLLM's max_model_len.</summary>
public sealed record ModelCard(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("max_model_len")] int MaxModelLen)
{
    [JsonPropertyName("object")]
    public string Object => "model";

    [JsonPropertyName("owned_by")]
    public string OwnedBy => "distill";
}
