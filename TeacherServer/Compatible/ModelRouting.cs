using Distill.TeacherServer.Api;
using Distill.TeacherServer.Models;

namespace Distill.TeacherServer.Compatible;

/// <summary>
/// Which served model a compatible request is for: the one it names, else the only one served (an SGLang server
/// serves one model and its bodies name none); several served and none named is a 400.
/// </summary>
public static class ModelRouting
{
    public static ModelChoice Choose(CompatibleRequest request, ModelRegistry registry)
    {
        if (request.Model is { Length: > 0 } named)
        {
            return ModelChoice.Of(named);
        }
        var served = registry.Models;
        return served.Count switch
        {
            1 => ModelChoice.Of(served.First().Name),
            0 => ModelChoice.Refused(Problems.Unavailable("No model is loaded yet.")),
            _ => ModelChoice.Refused(Problems.BadRequest(
                $"Several models are served ({string.Join(", ", served.Select(m => m.Name))}); name one in 'model'.")),
        };
    }
}
