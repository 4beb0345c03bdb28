using System.Text.Json;

namespace Distill.TeacherServer.Compatible;

/// <summary>Starts a JSON answer of the compatible endpoints: status, content type, and a writer onto the response's pipe.</summary>
public static class JsonAnswer
{
    public static Utf8JsonWriter Start(HttpResponse response, int status = StatusCodes.Status200OK)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        return new Utf8JsonWriter(response.BodyWriter);
    }
}
