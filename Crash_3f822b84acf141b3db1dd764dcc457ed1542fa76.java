import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

public class Crash_3f822b84acf141b3db1dd764dcc457ed1542fa76 {
    static final String base64Bytes = String.join("", "rO0ABXNyABNqYXZhLnV0aWwuQXJyYXlMaXN0eIHSHZnHYZ0DAAFJAARzaXpleHAAAAABdwQAAAABdAAKVSJcVV1dXV0mJng=");

    public static void main(String[] args) throws Throwable {
        Crash_3f822b84acf141b3db1dd764dcc457ed1542fa76.class.getClassLoader().setDefaultAssertionStatus(true);
        try {
            Method fuzzerInitialize = runtime.core.fuzz.ManifestParserFuzzTest.class.getMethod("fuzzerInitialize");
            fuzzerInitialize.invoke(null);
        } catch (NoSuchMethodException ignored) {
            try {
                Method fuzzerInitialize = runtime.core.fuzz.ManifestParserFuzzTest.class.getMethod("fuzzerInitialize", String[].class);
                fuzzerInitialize.invoke(null, (Object) args);
            } catch (NoSuchMethodException ignored1) {
            } catch (IllegalAccessException | InvocationTargetException e) {
                e.printStackTrace();
                System.exit(1);
            }
        } catch (IllegalAccessException | InvocationTargetException e) {
            e.printStackTrace();
            System.exit(1);
        }
        com.code_intelligence.jazzer.api.CannedFuzzedDataProvider input = new com.code_intelligence.jazzer.api.CannedFuzzedDataProvider(base64Bytes);
        runtime.core.fuzz.ManifestParserFuzzTest.fuzzerTestOneInput(input);
    }
}