using System.Security.Cryptography;
using System.Text;
using Distill.TeacherServer.Hosting;
using Microsoft.Extensions.Options;

namespace Distill.TeacherServer.Api;

/// <summary>Answers 401 unless the request carries the configured API key (no key configured: everything passes).</summary>
public sealed class ApiKeyFilter(IOptions<TeacherServerOptions> options) : IEndpointFilter
{
    public const string HeaderName = "X-Api-Key";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var expected = options.Value.ApiKey;
        if (expected is null || Matches(context.HttpContext.Request, expected))
        {
            return await next(context);
        }
        return Problems.Unauthorized();
    }

    private static bool Matches(HttpRequest request, string expected)
    {
        string? presented = request.Headers[HeaderName];
        if (presented is null && request.Headers.Authorization.ToString() is { } authorization
            && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presented = authorization["Bearer ".Length..].Trim();
        }
        return presented is not null
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected));
    }
}
